// Dates, times and numbers in the chosen locale and the account's timezone.
import { useTranslation } from 'react-i18next';
import { useTimezone } from './api/hooks';

export function formatDateTime(iso: string | undefined | null, locale: string, timeZone: string): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(locale, { dateStyle: 'short', timeStyle: 'short', timeZone }).format(d);
}

export function formatDate(iso: string | undefined | null, locale: string, timeZone: string): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(locale, { dateStyle: 'short', timeZone }).format(d);
}

export function formatNumber(n: number, locale: string, opts?: Intl.NumberFormatOptions): string {
  return new Intl.NumberFormat(locale, opts).format(n);
}

/** The wall-clock parts of an instant in a timezone (for date/time inputs). */
export function zonedParts(date: Date, timeZone: string): { date: string; time: string } {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      .formatToParts(date)
      .map((p) => [p.type, p.value]),
  );
  return { date: `${parts.year}-${parts.month}-${parts.day}`, time: `${parts.hour}:${parts.minute}` };
}

/** The instant at which the wall clock in `timeZone` shows `date` `time` (YYYY-MM-DD, HH:MM). */
export function zonedToInstant(date: string, time: string, timeZone: string): Date {
  const [y, mo, d] = date.split('-').map(Number);
  const [h, mi] = time.split(':').map(Number);
  const guess = Date.UTC(y, mo - 1, d, h, mi);
  // Offset of the zone at the guess, then once more at the corrected instant (DST edges).
  let instant = guess;
  for (let i = 0; i < 2; i++) {
    const p = zonedParts(new Date(instant), timeZone);
    const [py, pmo, pd] = p.date.split('-').map(Number);
    const [ph, pmi] = p.time.split(':').map(Number);
    const shown = Date.UTC(py, pmo - 1, pd, ph, pmi);
    instant += guess - shown;
  }
  return new Date(instant);
}

export function useFormat() {
  const { i18n } = useTranslation();
  const tz = useTimezone();
  const locale = i18n.language;
  return {
    locale,
    timeZone: tz,
    dateTime: (iso: string | undefined | null) => formatDateTime(iso, locale, tz),
    date: (iso: string | undefined | null) => formatDate(iso, locale, tz),
    number: (n: number, opts?: Intl.NumberFormatOptions) => formatNumber(n, locale, opts),
  };
}
