/*
 * Idle timeout warning.
 *
 * The server signs a session out after the practice's idle timeout (IdleTimeoutMiddleware);
 * this script only warns a minute before. Before warning it asks the server how long is
 * really left (another tab may have been active) and asking does not count as activity.
 * "Stay signed in" is a CSRF-checked POST that does count. At zero the page goes to the
 * sign-in page, where the server explains what happened.
 */
(function () {
  'use strict';

  // Words come from Django's JavaScript catalog (/jsi18n/, loaded by base.html before this
  // script); if it failed to load, the English original is shown.
  const gettext = window.gettext || function (text) { return text; };
  const ngettext = window.ngettext || function (singular, plural, count) {
    return count === 1 ? singular : plural;
  };
  const interpolate = window.interpolate || function (format, values) {
    return format.replace(/%\((\w+)\)s/g, function (match, name) { return String(values[name]); });
  };

  const body = document.body;
  const dialog = document.getElementById('idle-warning');
  const timeout = parseInt(body.dataset.idleTimeoutSeconds, 10);
  if (!dialog || !timeout) {
    return;
  }

  const WARN_SECONDS = 60;
  const ANNOUNCE_EVERY = 15;
  const statusUrl = body.dataset.sessionStatusUrl;
  const keepaliveUrl = body.dataset.sessionKeepaliveUrl;
  const loginUrl = body.dataset.loginUrl;
  const countdown = document.getElementById('idle-countdown');
  const live = document.getElementById('idle-live');
  const stayButton = document.getElementById('idle-stay');
  const keepaliveForm = document.getElementById('idle-keepalive-form');

  let deadline = 0;
  let checkTimer = null;
  let tickTimer = null;
  let lastAnnounced = null;

  function secondsLeft() {
    return Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
  }

  function goToSignIn() {
    window.location.assign(loginUrl);
  }

  function stopTimers() {
    clearTimeout(checkTimer);
    clearInterval(tickTimer);
  }

  // Count down quietly until a minute is left, then check with the server.
  function schedule(seconds) {
    stopTimers();
    deadline = Date.now() + seconds * 1000;
    checkTimer = setTimeout(check, Math.max(0, (seconds - WARN_SECONDS) * 1000));
  }

  async function fetchStatus() {
    const response = await fetch(statusUrl, {
      credentials: 'same-origin',
      cache: 'no-store',
      headers: { Accept: 'application/json' },
    });
    if (!response.ok) {
      throw new Error('Session status unavailable');
    }
    return response.json();
  }

  async function check() {
    let data = null;
    try {
      data = await fetchStatus();
    } catch (error) {
      data = null; // Offline: trust our own clock.
    }
    if (data && !data.authenticated) {
      goToSignIn();
      return;
    }
    if (data && data.seconds_left > WARN_SECONDS) {
      closeWarning();
      schedule(data.seconds_left);
      return;
    }
    if (data) {
      deadline = Date.now() + data.seconds_left * 1000;
    }
    openWarning();
  }

  function tick() {
    const seconds = secondsLeft();
    countdown.textContent = String(seconds);
    // Screen readers hear the dialog text once, then a short update every 15 seconds.
    if (seconds > 0 && seconds < WARN_SECONDS && seconds % ANNOUNCE_EVERY === 0 &&
        seconds !== lastAnnounced) {
      lastAnnounced = seconds;
      live.textContent = interpolate(
        ngettext('%(seconds)s second left.', '%(seconds)s seconds left.', seconds),
        { seconds: seconds }, true);
    }
    if (seconds <= 0) {
      expire();
    }
  }

  function openWarning() {
    if (!dialog.open) {
      lastAnnounced = null;
      live.textContent = '';
      if (typeof dialog.showModal === 'function') {
        dialog.showModal();
      } else {
        dialog.setAttribute('open', '');
      }
      stayButton.focus();
    }
    clearInterval(tickTimer);
    tick();
    tickTimer = setInterval(tick, 1000);
  }

  function closeWarning() {
    clearInterval(tickTimer);
    if (dialog.open) {
      dialog.close();
    }
  }

  // One last look before leaving: activity in another tab may have extended the session.
  async function expire() {
    stopTimers();
    let data = null;
    try {
      data = await fetchStatus();
    } catch (error) {
      data = null;
    }
    if (data && data.authenticated && data.seconds_left > 0) {
      if (data.seconds_left > WARN_SECONDS) {
        closeWarning();
        schedule(data.seconds_left);
      } else {
        deadline = Date.now() + data.seconds_left * 1000;
        tickTimer = setInterval(tick, 1000);
      }
      return;
    }
    goToSignIn();
  }

  async function stay() {
    const tokenInput = keepaliveForm && keepaliveForm.querySelector('[name="csrfmiddlewaretoken"]');
    stayButton.disabled = true;
    try {
      const response = await fetch(keepaliveUrl, {
        method: 'POST',
        credentials: 'same-origin',
        cache: 'no-store',
        redirect: 'manual', // a redirect here means the session has already ended
        headers: {
          Accept: 'application/json',
          'X-CSRFToken': tokenInput ? tokenInput.value : '',
        },
      });
      if (response.type === 'opaqueredirect') {
        goToSignIn();
        return;
      }
      if (!response.ok) {
        throw new Error('Keep-alive refused');
      }
      const data = await response.json();
      if (!data.authenticated) {
        goToSignIn();
        return;
      }
      closeWarning();
      schedule(data.seconds_left);
    } catch (error) {
      live.textContent = gettext('We could not reach the server. Please try again.');
    } finally {
      stayButton.disabled = false;
    }
  }

  stayButton.addEventListener('click', stay);
  // Escape closes a modal dialog; here it means "I'm still here".
  dialog.addEventListener('cancel', function (event) {
    event.preventDefault();
    stay();
  });

  const initial = parseInt(body.dataset.idleSecondsLeft, 10);
  schedule(Number.isNaN(initial) ? timeout : initial);
})();
