// Which view shows: the console's own (sign in, host list, one host) and the views of
// other modules (installView). One place decides, so that one view shows at a time.
import { $, el } from '/console/dom.js';

const APP_VIEWS = ['signin-view', 'hosts-view', 'host-view'];

export function show(view) {
  closeView(false);
  for (const id of APP_VIEWS) $(`#${id}`).hidden = id !== view;
  const signedIn = view !== 'signin-view';
  $('#tenant-picker').hidden = !signedIn;
  $('#tenant-scores').hidden = !signedIn;
  $('#signout').hidden = !signedIn;
  for (const v of extraViews) v.button.hidden = !signedIn;
}

// ---------- views of other modules ----------
// technology.js and deploy.js build a section and a header button each and export them
// with onOpen/onClose; switching views stays here, in one place: opening one hides every
// other view, show() (a tenant picked, a host opened, signing out) closes it, and its back
// button returns to the view it was opened from.

const extraViews = [];
/** { view, previous } while a view of another module shows */
let openExtra = null;

export function installView(view) {
  const back = el('button', { type: 'button', class: 'back' }, '← Back');
  back.addEventListener('click', () => closeView(true));
  view.section.hidden = true;
  view.section.prepend(back);
  view.button.hidden = true;
  view.button.addEventListener('click', () => openView(view));
  $('#signout').before(view.button);
  $('main').append(view.section);
  extraViews.push(view);
}

function openView(view) {
  const previous = openExtra?.previous ?? APP_VIEWS.find((id) => !$(`#${id}`).hidden);
  closeView(false);
  for (const id of APP_VIEWS) $(`#${id}`).hidden = true;
  openExtra = { view, previous: previous ?? 'hosts-view' };
  view.section.hidden = false;
  void view.onOpen?.();
}

function closeView(goBack) {
  if (!openExtra) return;
  const { view, previous } = openExtra;
  openExtra = null;
  view.section.hidden = true;
  view.onClose?.();
  if (goBack) show(previous);
}
