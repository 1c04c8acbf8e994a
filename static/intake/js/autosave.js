/*
 * Intake page helpers: save as you go, and show only the questions that apply.
 *
 * Autosave: a few seconds after typing stops, and at once when a field changes or loses
 * focus, the page's fields go to the autosave URL (form-encoded, with the CSRF token and
 * the page's revision). The reply carries the new revision (kept in the hidden field, so
 * the page's own "Next" still matches), messages for answers that need a change, and
 * whether to show the crisis support text. A 409 means the answers were changed on another
 * device: autosave stops and says so, and nothing is overwritten. A 429 means too many saves
 * in a short time (a limit meant for scripts): the page says, calmly, that nothing is lost,
 * keeps everything typed, and sends it when the reply's retry_after seconds have passed.
 * A 400 means what was sent could not be read (refused, nothing stored): its message is
 * shown, and the next change is saved as usual.
 *
 * Conditions: questions with data-condition are shown only when the answer they depend on
 * matches. Without JavaScript every question is shown and the server drops answers to
 * questions that do not apply; the page works fully without this file.
 *
 * Words: every status message comes from Django's JavaScript catalog (/jsi18n/, loaded by
 * base.html before this file), so it reads in the person's language; if the catalog did not
 * load, the English below is shown.
 */
(function () {
  'use strict';

  const form = document.getElementById('intake-form');
  if (!form) {
    return;
  }

  // The catalog's functions, or English as written here when it did not load. (Named as
  // the catalog names them, so makemessages finds the words.)
  const gettext = window.gettext || function (text) { return text; };
  const ngettext = window.ngettext || function (one, many, count) {
    return count === 1 ? one : many;
  };
  const interpolate = window.interpolate || function (text, values) {
    return text.replace(/%\((\w+)\)s/g, function (all, name) { return String(values[name]); });
  };

  const SAVE_AFTER_TYPING_MS = 2500;
  const RETRY_MS = 15000;
  const LONGEST_PAUSE_S = 300; // however long a reply asks us to wait, never more than this
  const PAUSED_MESSAGE = gettext('Nothing is lost: everything you typed stays on this page, ' +
    'and it will be saved in a moment.');
  const url = form.dataset.autosaveUrl;
  const revisionInput = form.querySelector('[data-revision]');
  const status = document.getElementById('autosave-status');
  const crisis = document.getElementById('intake-crisis');

  let timer = null;
  let inFlight = null;
  let dirty = false;
  let stopped = false;
  let submitting = false;
  let pausedUntil = 0; // after a 429: no save is sent before this time (ms)

  // --- Conditions --------------------------------------------------------------------

  function valuesOf(name) {
    const values = [];
    const fields = form.querySelectorAll('[name="' + name + '"]');
    fields.forEach(function (field) {
      if (field.type === 'radio' || field.type === 'checkbox') {
        if (field.checked) {
          values.push(field.value);
        }
      } else if (field.value.trim() !== '') {
        values.push(field.value);
      }
    });
    return values;
  }

  function applyConditions() {
    form.querySelectorAll('[data-condition]').forEach(function (question) {
      let condition;
      try {
        condition = JSON.parse(question.dataset.condition);
      } catch (error) {
        return; // Unreadable: leave the question shown.
      }
      const values = valuesOf(condition.question);
      const shown = condition.answered
        ? values.length > 0
        : values.some(function (value) { return condition.in.indexOf(value) !== -1; });
      question.hidden = !shown;
    });
  }

  // --- Autosave ----------------------------------------------------------------------

  function say(text, problem) {
    status.textContent = text;
    status.classList.toggle('is-problem', Boolean(problem));
  }

  function showErrors(errors) {
    form.querySelectorAll('[data-error-for]').forEach(function (element) {
      const message = errors[element.dataset.errorFor];
      const question = element.closest('.intake-question');
      if (message) {
        element.textContent = message;
        element.hidden = false;
      } else if (!element.hidden) {
        element.textContent = '';
        element.hidden = true;
      }
      if (question) {
        question.classList.toggle('has-error', Boolean(message));
        question.querySelectorAll('.form-control').forEach(function (control) {
          if (control.name === element.dataset.errorFor) {
            control.classList.toggle('is-invalid', Boolean(message));
            if (message) {
              control.setAttribute('aria-invalid', 'true');
            } else {
              control.removeAttribute('aria-invalid');
            }
          }
        });
      }
    });
  }

  function body() {
    const data = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      if (name !== 'action' && typeof value === 'string') {
        data.append(name, value);
      }
    });
    return data;
  }

  function schedule(delay) {
    clearTimeout(timer);
    timer = setTimeout(save, delay);
  }

  // How long a 429 asks us to wait, in seconds: the JSON's retry_after, else the
  // Retry-After header, else the usual retry; always at least a second.
  function pauseSeconds(data, response) {
    const asked = [data && data.retry_after, response.headers.get('Retry-After')];
    for (let i = 0; i < asked.length; i += 1) {
      const seconds = Number(asked[i]);
      if (asked[i] !== null && asked[i] !== undefined && Number.isFinite(seconds)) {
        return Math.min(Math.max(seconds, 1), LONGEST_PAUSE_S);
      }
    }
    return RETRY_MS / 1000;
  }

  async function pause(response) {
    let data = null;
    try {
      data = await response.json();
    } catch (error) {
      // Keep the plain message and the header.
    }
    const waitMs = pauseSeconds(data, response) * 1000;
    pausedUntil = Date.now() + waitMs;
    dirty = true; // what was being sent is still to be saved
    say((data && data.message) || PAUSED_MESSAGE, false);
    schedule(waitMs);
  }

  async function send() {
    const token = form.querySelector('[name="csrfmiddlewaretoken"]');
    const response = await fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      cache: 'no-store',
      redirect: 'manual', // a redirect means the session ended (sign-in page)
      headers: {
        Accept: 'application/json',
        'X-CSRFToken': token ? token.value : '',
      },
      body: body(),
    });
    if (response.type === 'opaqueredirect' || response.status === 403) {
      stopped = true;
      say(gettext('You have been signed out, so this page is not being saved. Copy anything ' +
                  'you typed, then sign in again.'), true);
      return;
    }
    if (response.status === 429) {
      await pause(response);
      return;
    }
    if (response.status === 409) {
      stopped = true;
      let message = gettext('These answers were changed somewhere else, so this page was ' +
                            'not saved.');
      try {
        message = (await response.json()).message || message;
      } catch (error) {
        // Keep the plain message.
      }
      say(message, true);
      return;
    }
    if (response.status === 400) {
      // Refused as sent (text the server could not read): trying the same again cannot
      // help, so say why and wait for the next change.
      let message = gettext('This page could not be saved. Please check what you typed.');
      try {
        message = (await response.json()).message || message;
      } catch (error) {
        // Keep the plain message.
      }
      say(message, true);
      return;
    }
    if (!response.ok) {
      throw new Error('Autosave refused');
    }
    const data = await response.json();
    revisionInput.value = String(data.revision);
    showErrors(data.errors || {});
    if (data.safety && crisis && crisis.hidden) {
      crisis.hidden = false;
    }
    const count = Object.keys(data.errors || {}).length;
    const saved = count
      ? ngettext('Saved at %(time)s. %(count)s answer needs a small change; see the ' +
                 'message next to it.',
                 'Saved at %(time)s. %(count)s answers need a small change; see the ' +
                 'message next to it.', count)
      : gettext('Saved at %(time)s.');
    say(interpolate(saved, { time: data.saved_at, count: count }, true), count > 0);
  }

  // During a pause after a 429, a save asked for (typing, a change, leaving a field) is
  // put off until the pause ends rather than dropped. True when it was put off.
  function waitForPause() {
    const left = pausedUntil - Date.now();
    if (left > 0) {
      schedule(left);
      return true;
    }
    return false;
  }

  async function save() {
    clearTimeout(timer);
    if (stopped || submitting || !dirty) {
      return;
    }
    if (waitForPause()) {
      return;
    }
    if (inFlight) {
      await inFlight.catch(function () {});
      if (stopped || submitting || !dirty || waitForPause()) {
        return;
      }
    }
    dirty = false;
    inFlight = send().catch(function () {
      dirty = true;
      say(gettext('Not saved yet. We will try again in a moment; your answers are still on ' +
                  'this page.'), true);
      schedule(RETRY_MS);
    });
    try {
      await inFlight;
    } finally {
      inFlight = null;
    }
  }

  function changed(event) {
    if (event.target && event.target.name === 'action') {
      return;
    }
    dirty = true;
    applyConditions();
  }

  form.addEventListener('input', function (event) {
    changed(event);
    schedule(SAVE_AFTER_TYPING_MS);
  });
  form.addEventListener('change', function (event) {
    changed(event);
    save();
  });
  form.addEventListener('focusout', function () {
    if (dirty) {
      save();
    }
  });

  // The page's own buttons post the whole page. From then on nothing is autosaved, and a
  // save already on its way finishes first, so the page goes with the revision that save
  // produced (rather than being refused as stale).
  let waitingToSubmit = false;
  let releasing = false;
  form.addEventListener('submit', function (event) {
    clearTimeout(timer);
    if (releasing) {
      return; // Our own resubmission below.
    }
    submitting = true;
    if (!inFlight) {
      return;
    }
    event.preventDefault();
    if (waitingToSubmit) {
      return; // A second tap while the save finishes.
    }
    waitingToSubmit = true;
    const submitter = event.submitter;
    say(gettext('Saving…'), false);
    inFlight.then(function () {
      releasing = true;
      if (typeof form.requestSubmit === 'function') {
        form.requestSubmit(submitter || undefined);
      } else {
        form.submit();
      }
    });
  });

  applyConditions();
})();
