// The sign-in form: where to go after it, and why the last try failed
(function () {
  'use strict';
  var query = new URLSearchParams(window.location.search);
  var next = query.get('next');
  if (next && next.charAt(0) === '/' && next.charAt(1) !== '/') {
    document.getElementById('next').value = next;
  }
  if (query.get('failed')) { document.getElementById('failed').hidden = false; }
  if (query.get('locked')) { document.getElementById('locked').hidden = false; }
  if (query.get('busy')) { document.getElementById('busy').hidden = false; }
})();
