/*
 * The site menu on a narrow screen: the "Menu" button shows and hides it.
 *
 * This was the only part of Bootstrap's JavaScript the portal used (its collapse, through
 * data-bs-toggle), and the bundle cost every page 80 KB (24 KB gzipped); these lines do the
 * same for the one menu. Bootstrap's CSS hides `.collapse` until it has `.show`, and shows
 * the menu on wide screens whatever this does. Without JavaScript, noscript.css shows it.
 */
(function () {
  'use strict';

  document.querySelectorAll('[data-menu-toggle]').forEach(function (button) {
    const menu = document.getElementById(button.getAttribute('aria-controls'));
    if (!menu) {
      return;
    }
    button.addEventListener('click', function () {
      const open = !menu.classList.contains('show');
      menu.classList.toggle('show', open);
      button.setAttribute('aria-expanded', String(open));
    });
  });
}());
