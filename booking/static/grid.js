/* The hour grid of a resource page: click a free cell, or drag across free cells, to choose a time.

   The server draws every free cell as a link that fills the booking form with a legal window, so
   the page works without this file. Here a click chooses that same window in place, a drag
   chooses a range: never longer than the rule's maximum nor shorter than its minimum, never across
   a busy cell or a buffer (a drag stays inside one run of free cells). The form's date and times
   follow live, and a short text says what is chosen and why a drag was clamped. Keyboard: cells
   are links (Tab, Enter chooses); arrow keys move between free cells, Shift+Up/Down resizes. On a
   touch screen, a tap chooses; a second tap lower in the same free time extends to it.

   Everything it needs is in data attributes (the Content-Security-Policy allows no inline script):
   [data-grid] data-min, data-max, data-step, data-default (minutes), data-msg-*, data-hour(s),
   data-minute(s); a.slot data-run, data-s, data-e (epoch seconds), data-day, data-from, data-to. */
(function () {
  'use strict';

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, key) { return values[key] !== undefined ? values[key] : ''; });
  }

  function initGrid(wrap) {
    var form = document.querySelector('form.booking-form');
    if (!form || !form.elements.day || !form.elements.start || !form.elements.end) return;  // not logged in: links navigate
    var data = wrap.dataset;
    var step = +data.step, minMinutes = +data.min, maxMinutes = +data.max, defMinutes = +data.default;
    var fewest = Math.max(1, Math.ceil(minMinutes / step));
    var most = Math.max(fewest, Math.floor(maxMinutes / step));
    var usual = Math.min(most, Math.max(fewest, Math.floor(defMinutes / step)));
    var out = document.querySelector('[data-grid-choice]');
    var runs = {};
    Array.prototype.forEach.call(wrap.querySelectorAll('a.slot'), function (el) {
      var cell = {el: el, run: el.dataset.run, s: +el.dataset.s, e: +el.dataset.e, day: el.dataset.day,
                  from: el.dataset.from, to: el.dataset.to};
      (runs[cell.run] = runs[cell.run] || []).push(cell);
      el.gridCell = cell;
    });
    Object.keys(runs).forEach(function (key) {
      runs[key].sort(function (a, b) { return a.s - b.s; });
      runs[key].forEach(function (cell, i) { cell.index = i; });
    });
    var selection = null;  // {run, lo, hi}

    function length(minutes) {  /* "4 hours", "1 hour 30 minutes" (as length_label in booking_panel.py) */
      var hours = Math.floor(minutes / 60), rest = minutes % 60, parts = [];
      if (hours) parts.push((hours === 1 ? data.hour : data.hours).replace('{n}', hours));
      if (rest || !hours) parts.push((rest === 1 ? data.minute : data.minutes).replace('{n}', rest));
      return parts.join(' ');
    }

    function defaultWindow(cells, i) {
      var lo = i, hi = i + usual - 1;
      if (hi >= cells.length) { hi = cells.length - 1; lo = Math.max(0, hi - usual + 1); }
      return {lo: lo, hi: hi};
    }

    /* The range from the anchor to the cell under the pointer, within the rules: too long is cut
       at the far end, too short grows away from the anchor (or back, at the end of the run). */
    function clamp(cells, anchor, current) {
      var lo = Math.min(anchor, current), hi = Math.max(anchor, current), note = '';
      if (hi - lo + 1 > most) {
        if (current >= anchor) hi = lo + most - 1; else lo = hi - most + 1;
        note = fill(data.msgMax, {length: length(maxMinutes)});
      } else if (hi - lo + 1 < fewest) {
        if (current >= anchor) { hi = Math.min(cells.length - 1, lo + fewest - 1); lo = Math.max(0, hi - fewest + 1); }
        else { lo = Math.max(0, hi - fewest + 1); hi = Math.min(cells.length - 1, lo + fewest - 1); }
        note = fill(data.msgMin, {length: length(minMinutes)});
      }
      return {lo: lo, hi: hi, note: note};
    }

    function setField(input, value) {
      if (input.value === value) return;
      input.value = value;
      input.dispatchEvent(new Event('input', {bubbles: true}));
      input.dispatchEvent(new Event('change', {bubbles: true}));
    }

    function highlight(predicate) {
      Array.prototype.forEach.call(wrap.querySelectorAll('td.sel'), function (td) { td.classList.remove('sel'); });
      Array.prototype.forEach.call(wrap.querySelectorAll('a.slot'), function (el) {
        if (predicate(el.gridCell)) el.parentNode.classList.add('sel');
      });
    }

    function choose(run, lo, hi, note) {
      var cells = runs[run], first = cells[lo], last = cells[hi];
      selection = {run: run, lo: lo, hi: hi};
      highlight(function (cell) { return cell.run === run && cell.index >= lo && cell.index <= hi; });
      setField(form.elements.day, first.day);
      setField(form.elements.start, first.from);
      setField(form.elements.end, last.to);
      if (out) {
        var text = fill(data.msgChosen, {when: first.day + ' ' + first.from + '\u2013' + last.to,
                                         length: length(Math.round((last.e - first.s) / 60))});
        out.textContent = note ? text + ' ' + note : text;
        out.classList.toggle('clamped', !!note);
      }
    }

    function chooseAt(cell) {
      var w = defaultWindow(runs[cell.run], cell.index);
      choose(cell.run, w.lo, w.hi, '');
    }

    /* Dragging with a mouse or pen (a finger scrolls the page instead; it taps). */
    var drag = null, swallowClick = false;
    wrap.addEventListener('pointerdown', function (event) {
      var el = event.target.closest && event.target.closest('a.slot');
      if (!el || event.pointerType === 'touch' || event.button !== 0) return;
      event.preventDefault();  // no link drag, no text selection
      el.focus({preventScroll: true});
      drag = {cell: el.gridCell, moved: false};
      wrap.classList.add('dragging');
    });
    document.addEventListener('pointermove', function (event) {
      if (!drag) return;
      var under = document.elementFromPoint(event.clientX, event.clientY);
      var el = under && under.closest && under.closest('a.slot');
      if (!el || el.gridCell.run !== drag.cell.run) return;  // never across a busy cell: stay at the run's edge
      var current = el.gridCell.index;
      if (current === drag.cell.index && !drag.moved) return;
      drag.moved = true;
      var range = clamp(runs[drag.cell.run], drag.cell.index, current);
      choose(drag.cell.run, range.lo, range.hi, range.note);
    });
    function endDrag() {
      if (!drag) return;
      if (!drag.moved) chooseAt(drag.cell);
      drag = null;
      swallowClick = true;
      setTimeout(function () { swallowClick = false; }, 0);
      wrap.classList.remove('dragging');
    }
    document.addEventListener('pointerup', endDrag);
    document.addEventListener('pointercancel', function () { if (drag) { drag = null; wrap.classList.remove('dragging'); } });

    /* Clicks: Enter on a focused cell, a tap, or the click that follows a mouse press. */
    var lastTouch = false;
    wrap.addEventListener('pointerdown', function (event) { lastTouch = event.pointerType === 'touch'; }, true);
    wrap.addEventListener('click', function (event) {
      var el = event.target.closest && event.target.closest('a.slot');
      if (!el) return;
      event.preventDefault();
      if (swallowClick) return;
      var cell = el.gridCell;
      if (lastTouch && selection && selection.run === cell.run && cell.index > selection.lo &&
          cell.index !== selection.hi) {
        var range = clamp(runs[cell.run], selection.lo, cell.index);
        choose(cell.run, range.lo, range.hi, range.note);
      } else {
        chooseAt(cell);
      }
      lastTouch = false;
    });

    /* Arrow keys move between free cells; Shift+Up/Down resizes the chosen range. */
    wrap.addEventListener('keydown', function (event) {
      var el = event.target.closest && event.target.closest('a.slot');
      if (!el || ['ArrowUp', 'ArrowDown', 'ArrowLeft', 'ArrowRight'].indexOf(event.key) < 0) return;
      var cell = el.gridCell;
      event.preventDefault();
      if (event.shiftKey && selection && selection.run === cell.run && (event.key === 'ArrowUp' || event.key === 'ArrowDown')) {
        var hi = selection.hi + (event.key === 'ArrowDown' ? 1 : -1);
        if (hi < selection.lo || hi >= runs[cell.run].length) return;
        var range = clamp(runs[cell.run], selection.lo, hi);
        choose(cell.run, range.lo, range.hi, range.note);
        runs[cell.run][range.hi].el.focus();
        return;
      }
      var td = el.parentNode, row = td.parentNode, column = td.cellIndex, target = null;
      if (event.key === 'ArrowLeft' || event.key === 'ArrowRight') {
        var cells = row.cells, i = column;
        while (!target) {
          i += event.key === 'ArrowRight' ? 1 : -1;
          if (i < 1 || i >= cells.length) break;
          target = cells[i].querySelector('a.slot');
        }
      } else {
        var r = row;
        while (!target) {
          r = event.key === 'ArrowDown' ? r.nextElementSibling : r.previousElementSibling;
          if (!r) break;
          target = r.cells[column] && r.cells[column].querySelector('a.slot');
        }
      }
      if (target) target.focus();
    });

    /* Times typed into the form show on the grid too, with a word on whether they are free. */
    function minutesOf(hhmm) {
      var m = /^(\d\d):(\d\d)$/.exec(hhmm || '');
      return m ? (+m[1]) * 60 + (+m[2]) : NaN;
    }
    function fromForm() {
      var day = form.elements.day.value, start = minutesOf(form.elements.start.value), end = minutesOf(form.elements.end.value);
      if (end === 0) end = 24 * 60;
      var count = 0;
      selection = null;
      highlight(function (cell) {
        var from = minutesOf(cell.from), to = minutesOf(cell.to) || 24 * 60;
        var inside = cell.day === day && from >= start && to <= end && start < end;
        if (inside) count += 1;
        return inside;
      });
      if (!out || isNaN(start) || isNaN(end) || !(start < end) || !/^\d{4}-\d\d-\d\d$/.test(day)) return;
      var when = day + ' ' + form.elements.start.value + '\u2013' + form.elements.end.value;
      var free = count * step === end - start;
      out.textContent = free ? fill(data.msgChosen, {when: when, length: length(end - start)}) : fill(data.msgBusy, {when: when});
      out.classList.toggle('clamped', !free);
    }
    ['day', 'start', 'end'].forEach(function (name) {
      form.elements[name].addEventListener('input', function (event) { if (event.isTrusted) fromForm(); });
    });

    /* A tall grid (a resource open at all hours) scrolls to the chosen, else the first free, cell. */
    var shown = wrap.querySelector('td.sel') || wrap.querySelector('td.c-free');
    var head = wrap.querySelector('thead');
    if (shown && wrap.scrollHeight > wrap.clientHeight) {
      var top = shown.getBoundingClientRect().top - wrap.getBoundingClientRect().top + wrap.scrollTop;
      wrap.scrollTop = Math.max(0, top - (head ? head.offsetHeight : 0) - 2 * shown.offsetHeight);
    }
  }

  function ready() {
    Array.prototype.forEach.call(document.querySelectorAll('[data-grid]'), initGrid);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', ready);
  else ready();
})();
