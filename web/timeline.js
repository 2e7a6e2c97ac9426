// The date controls in #timeline: a slider with one step per day, a date field, the date in
// words, previous/next change buttons, play/pause, and a mark for every control change.

import { clampDate, dateFromIndex, dayIndex, formatDate, isIsoDate } from './dates.js';
import { el } from './dom.js';

/** Milliseconds between steps while playing. */
const PLAY_STEP_MS = 1000;

export class Timeline {
  /**
   * @param {HTMLElement} root the #timeline panel (markup in index.html)
   * @param {{first: string, last: string, onChange: (date: string) => void}} options
   */
  constructor(root, { first, last, onChange }) {
    this.first = first;
    this.last = last;
    this.onChange = onChange;
    this.changeDates = [];
    this.date = last;
    this.timer = null;

    this.slider = root.querySelector('#date-slider');
    this.input = root.querySelector('#date-input');
    this.label = root.querySelector('#date-label');
    this.prevButton = root.querySelector('#prev-change');
    this.nextButton = root.querySelector('#next-change');
    this.playButton = root.querySelector('#play');
    this.datalist = root.querySelector('#change-dates');
    this.ticks = root.querySelector('#timeline-ticks');
    this.years = root.querySelector('#timeline-years');

    this.slider.min = '0';
    this.slider.max = String(dayIndex(last));
    this.slider.step = '1';
    this.input.min = first;
    this.input.max = last;

    this.slider.addEventListener('input', () => {
      this.stop();
      this.choose(dateFromIndex(Number(this.slider.value)));
    });
    this.input.addEventListener('change', () => {
      if (isIsoDate(this.input.value)) {
        this.stop();
        this.choose(clampDate(this.input.value, this.first, this.last));
      } else {
        this.input.value = this.date;
      }
    });
    this.prevButton.addEventListener('click', () => {
      this.stop();
      const previous = this.previousChange(this.date);
      if (previous) {
        this.choose(previous);
      }
    });
    this.nextButton.addEventListener('click', () => {
      this.stop();
      const next = this.nextChange(this.date);
      if (next) {
        this.choose(next);
      }
    });
    this.playButton.addEventListener('click', () => (this.timer === null ? this.play() : this.stop()));
    this.drawYears();
  }

  /** Marks every date on which some region's control changed (`YYYY-MM-DD`, any order). */
  setChangeDates(dates) {
    this.changeDates = [...new Set(dates)].filter((d) => d >= this.first && d <= this.last).sort();
    const span = dayIndex(this.last) || 1;
    this.datalist.replaceChildren(
      ...this.changeDates.map((date) => el('option', { value: dayIndex(date), label: formatDate(date) })),
    );
    this.ticks.replaceChildren(
      ...this.changeDates.map((date) => {
        const tick = el('span', { class: 'tick', title: `Change on ${formatDate(date)}`, 'data-date': date });
        tick.style.setProperty('--pos', String(dayIndex(date) / span));
        tick.addEventListener('click', () => {
          this.stop();
          this.choose(date);
        });
        return tick;
      }),
    );
    this.updateButtons();
  }

  drawYears() {
    const span = dayIndex(this.last) || 1;
    const labels = [];
    for (let year = Number(this.first.slice(0, 4)) + 1; year <= Number(this.last.slice(0, 4)); year += 1) {
      const label = el('span', { class: `year${year % 2 ? ' year-odd' : ''}` }, String(year));
      label.style.setProperty('--pos', String(dayIndex(`${year}-01-01`) / span));
      labels.push(label);
    }
    this.years.replaceChildren(...labels);
  }

  /** Shows `date` in every control without telling anyone. */
  setDate(date) {
    this.date = clampDate(date, this.first, this.last);
    this.slider.value = String(dayIndex(this.date));
    this.slider.setAttribute('aria-valuetext', formatDate(this.date));
    this.input.value = this.date;
    this.label.textContent = formatDate(this.date);
    this.label.setAttribute('datetime', this.date);
    this.updateButtons();
  }

  choose(date) {
    this.setDate(date);
    this.onChange(this.date);
  }

  previousChange(date) {
    return this.changeDates.filter((d) => d < date).at(-1) ?? null;
  }

  nextChange(date) {
    return this.changeDates.find((d) => d > date) ?? null;
  }

  updateButtons() {
    // aria-disabled rather than disabled: the buttons stay reachable by Tab.
    this.prevButton.setAttribute('aria-disabled', String(this.previousChange(this.date) === null));
    this.nextButton.setAttribute('aria-disabled', String(this.nextChange(this.date) === null));
  }

  /** Steps through the change dates, one every PLAY_STEP_MS; from the first if at the end. */
  play() {
    if (this.changeDates.length === 0) {
      return;
    }
    if (this.nextChange(this.date) === null) {
      this.choose(this.changeDates[0]);
    } else {
      this.choose(this.nextChange(this.date));
    }
    this.playButton.textContent = 'Pause';
    this.timer = setInterval(() => {
      const next = this.nextChange(this.date);
      if (next === null) {
        this.stop();
      } else {
        this.choose(next);
      }
    }, PLAY_STEP_MS);
  }

  /** Stops playing (no-op when not playing). */
  stop() {
    if (this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
    this.playButton.textContent = 'Play';
  }
}
