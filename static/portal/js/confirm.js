/*
 * Ask before a form with data-confirm="..." is sent (for actions that cannot be undone).
 * Without JavaScript the form is sent straight away.
 */
(function () {
  'use strict';

  document.addEventListener('submit', function (event) {
    const form = event.target;
    const message = form instanceof HTMLFormElement ? form.dataset.confirm : '';
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });
})();
