/* OneStop's little behaviour, driven by data attributes: the Content-Security-Policy allows no
   inline script, so templates say what they want and this file does it.

   data-autosubmit           on a select or input: submit its form when the value changes
   data-confirm="question"   on a form: ask before submitting (Cancel keeps the page as it is)
   data-print                on a button: print the page
   data-select-on-click      on an input: select its text when clicked (easy copying)
   .fee-box[data-rate]       inside a booking form: the fee estimate follows the chosen times */
(function () {
  'use strict';

  document.addEventListener('change', function (event) {
    var el = event.target;
    if (el.matches && el.matches('[data-autosubmit]') && el.form) el.form.submit();
  });

  document.addEventListener('submit', function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute('data-confirm');
    if (question && !window.confirm(question)) event.preventDefault();
  });

  document.addEventListener('click', function (event) {
    var el = event.target;
    if (!el.closest) return;
    if (el.closest('[data-print]')) { event.preventDefault(); window.print(); return; }
    var field = el.closest('[data-select-on-click]');
    if (field && field.select) field.select();
  });

  function minutes(value) {
    var parts = (value || '').split(':');
    return parts.length === 2 ? (+parts[0]) * 60 + (+parts[1]) : NaN;
  }

  function feeEstimate(box) {
    var form = box.closest('form');
    if (!form || box.dataset.unit !== 'hour' || !form.elements.start || !form.elements.end) return;
    var rate = parseFloat(box.dataset.rate), out = box.querySelector('[data-fee]');
    var symbol = box.dataset.symbol || '\u00a5';
    function update() {
      var a = minutes(form.elements.start.value), b = minutes(form.elements.end.value);
      if (b === 0) b = 24 * 60;
      if (isNaN(a) || isNaN(b) || b <= a) { out.textContent = '\u2014'; return; }
      out.textContent = symbol + (rate * (b - a) / 60).toLocaleString('en', {minimumFractionDigits: 2, maximumFractionDigits: 2});
    }
    form.elements.start.addEventListener('input', update);
    form.elements.end.addEventListener('input', update);
  }

  function ready() {
    Array.prototype.forEach.call(document.querySelectorAll('.fee-box[data-rate]'), feeEstimate);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', ready);
  else ready();
})();
