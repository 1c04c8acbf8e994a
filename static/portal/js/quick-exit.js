/*
 * Quick exit: leave the portal at once, by the button or by pressing Escape twice.
 *
 * The page is hidden straight away, the session is ended server-side with a beacon (it
 * survives the page being torn down), and location.replace() swaps this page out of the
 * history so Back does not bring it straight up again. Without JavaScript the link still
 * goes to the same neutral site.
 */
(function () {
  'use strict';

  const link = document.getElementById('quick-exit');
  if (!link) {
    return;
  }
  const DOUBLE_PRESS_MS = 1500;
  let lastEscape = 0;
  let signedOut = false;

  function signOut() {
    const form = document.getElementById('quick-exit-logout');
    if (signedOut || !form || typeof navigator.sendBeacon !== 'function') {
      return;
    }
    signedOut = true;
    try {
      navigator.sendBeacon(form.action, new FormData(form));
    } catch (error) {
      // Leaving matters more than signing out; the idle timeout ends the session later.
    }
  }

  function leave(event) {
    if (event) {
      event.preventDefault();
    }
    document.documentElement.classList.add('is-exiting');
    signOut();
    window.location.replace(link.href);
  }

  link.addEventListener('click', leave);

  document.addEventListener('keydown', function (event) {
    if (event.key !== 'Escape' && event.key !== 'Esc') {
      return;
    }
    const now = Date.now();
    if (now - lastEscape <= DOUBLE_PRESS_MS) {
      leave(event);
    } else {
      lastEscape = now;
    }
  });
})();
