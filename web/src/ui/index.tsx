// The console's small design system: every screen builds from these.
import {
  useEffect,
  useId,
  useRef,
  type ButtonHTMLAttributes,
  type InputHTMLAttributes,
  type KeyboardEvent,
  type ReactNode,
  type SelectHTMLAttributes,
  type ComponentPropsWithRef,
} from 'react';
import { useTranslation } from 'react-i18next';
import { namesFields } from '../api/client';

type Variant = 'primary' | 'secondary' | 'danger' | 'ghost';

export function Button({ variant = 'secondary', className = '', ...rest }: ButtonHTMLAttributes<HTMLButtonElement> & { variant?: Variant }) {
  return <button type="button" className={`btn btn-${variant} ${className}`} {...rest} />;
}

interface FieldProps {
  label: ReactNode;
  error?: string;
  hint?: ReactNode;
  children: (ids: { id: string; describedBy?: string; invalid: boolean }) => ReactNode;
  className?: string;
}

/** A label, a control and the problem detail naming it, wired for screen readers. */
export function Field({ label, error, hint, children, className = '' }: FieldProps) {
  const id = useId();
  const errId = `${id}-err`;
  const hintId = `${id}-hint`;
  const describedBy = [error ? errId : '', hint ? hintId : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field ${error ? 'field-invalid' : ''} ${className}`}>
      <label htmlFor={id}>{label}</label>
      {children({ id, describedBy, invalid: !!error })}
      {hint && (
        <small id={hintId} className="hint">
          {hint}
        </small>
      )}
      {error && (
        <small id={errId} className="field-error" role="alert">
          {error}
        </small>
      )}
    </div>
  );
}

export function TextField({ label, error, hint, className, ...rest }: InputHTMLAttributes<HTMLInputElement> & { label: ReactNode; error?: string; hint?: ReactNode }) {
  return (
    <Field label={label} error={error} hint={hint} className={className}>
      {({ id, describedBy, invalid }) => <input id={id} aria-describedby={describedBy} aria-invalid={invalid || undefined} {...rest} />}
    </Field>
  );
}

export function TextArea({ label, error, className, ...rest }: ComponentPropsWithRef<'textarea'> & { label: ReactNode; error?: string }) {
  return (
    <Field label={label} error={error} className={className}>
      {({ id, describedBy, invalid }) => <textarea id={id} aria-describedby={describedBy} aria-invalid={invalid || undefined} {...rest} />}
    </Field>
  );
}

export interface Option {
  value: string;
  label: string;
}

export function Select({ label, options, error, className, ...rest }: SelectHTMLAttributes<HTMLSelectElement> & { label: ReactNode; options: Option[]; error?: string }) {
  return (
    <Field label={label} error={error} className={className}>
      {({ id, describedBy, invalid }) => (
        <select id={id} aria-describedby={describedBy} aria-invalid={invalid || undefined} {...rest}>
          {options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

export interface TabDef {
  id: string;
  label: string;
  content: ReactNode;
}

/** WAI-ARIA tabs: arrow keys move between tabs, only the selected panel is rendered. */
export function Tabs({ tabs, selected, onSelect, label, className = '' }: { tabs: TabDef[]; selected: string; onSelect: (id: string) => void; label: string; className?: string }) {
  const base = useId();
  const refs = useRef<Record<string, HTMLButtonElement | null>>({});
  const onKey = (e: KeyboardEvent) => {
    const i = tabs.findIndex((t) => t.id === selected);
    let next = -1;
    if (e.key === 'ArrowRight') next = (i + 1) % tabs.length;
    if (e.key === 'ArrowLeft') next = (i - 1 + tabs.length) % tabs.length;
    if (next >= 0) {
      e.preventDefault();
      onSelect(tabs[next].id);
      refs.current[tabs[next].id]?.focus();
    }
  };
  const current = tabs.find((t) => t.id === selected) ?? tabs[0];
  return (
    <div className={`tabs ${className}`}>
      <div role="tablist" aria-label={label} onKeyDown={onKey}>
        {tabs.map((t) => (
          <button
            key={t.id}
            ref={(el) => {
              refs.current[t.id] = el;
            }}
            type="button"
            role="tab"
            id={`${base}-tab-${t.id}`}
            aria-selected={t.id === current.id}
            aria-controls={`${base}-panel-${t.id}`}
            tabIndex={t.id === current.id ? 0 : -1}
            onClick={() => onSelect(t.id)}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`${base}-panel-${current.id}`} aria-labelledby={`${base}-tab-${current.id}`} className="tabpanel">
        {current.content}
      </div>
    </div>
  );
}

/** A modal dialog on the native <dialog> element (focus trap and Escape for free). */
export function Dialog({ open, title, onClose, children, footer, wide }: { open: boolean; title: string; onClose: () => void; children: ReactNode; footer?: ReactNode; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const { t } = useTranslation();
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog ref={ref} aria-labelledby={titleId} onClose={onClose} className={`dialog ${wide ? 'dialog-wide' : ''}`}>
      {open && (
        <>
          <header>
            <h2 id={titleId}>{title}</h2>
            <Button variant="ghost" aria-label={t('common.close')} onClick={onClose}>
              ×
            </Button>
          </header>
          <div className="dialog-body">{children}</div>
          {footer && <footer>{footer}</footer>}
        </>
      )}
    </dialog>
  );
}

/** 0–5 stars as a radiogroup: `No rating`, `1 star` … `5 stars`. */
export function Stars({ value, onChange, label, disabled }: { value: number; onChange?: (v: number) => void; label: string; disabled?: boolean }) {
  const { t } = useTranslation();
  const name = useId();
  if (!onChange) {
    return (
      <span className="stars-readonly" aria-label={t('stars.label', { count: value })} role="img">
        {'★'.repeat(value)}
        <span aria-hidden="true" className="stars-off">
          {'★'.repeat(5 - value)}
        </span>
      </span>
    );
  }
  return (
    <div role="radiogroup" aria-label={label} className="stars">
      {[0, 1, 2, 3, 4, 5].map((n) => (
        <label key={n} className={`star ${n === 0 ? 'star-none' : ''} ${n > 0 && n <= value ? 'star-on' : ''}`}>
          <input
            type="radio"
            name={name}
            value={n}
            checked={value === n}
            disabled={disabled}
            aria-label={n === 0 ? t('stars.none') : t('stars.label', { count: n })}
            onChange={() => onChange(n)}
          />
          <span aria-hidden="true">{n === 0 ? '⊘' : '★'}</span>
        </label>
      ))}
    </div>
  );
}

export function Spinner({ label }: { label?: string }) {
  const { t } = useTranslation();
  return (
    <p className="status" role="status">
      <span className="spinner" aria-hidden="true" /> {label ?? t('common.loading')}
    </p>
  );
}

export function ErrorBox({ error }: { error: unknown }) {
  const { t } = useTranslation();
  const msg = error instanceof Error ? error.message : String(error);
  return (
    <p className="error-box" role="alert">
      {t('common.error')}: {msg}
    </p>
  );
}

/** An error about the whole form: nothing when it is absent or names fields (those show next to them). */
/** A form's submit button, and "Saved" once its mutation succeeded. */
export function SaveButton({ save }: { save: { isPending: boolean; isSuccess: boolean } }) {
  const { t } = useTranslation();
  return (
    <>
      <Button type="submit" variant="primary" disabled={save.isPending}>
        {t('common.save')}
      </Button>
      {save.isSuccess && <span role="status">{t('common.saved')}</span>}
    </>
  );
}

export function FormError({ error }: { error: unknown }) {
  if (!error || namesFields(error)) return null;
  return <ErrorBox error={error} />;
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

export function Progress({ value, max, label }: { value: number; max: number; label: string }) {
  return (
    <div className="progress">
      <progress value={value} max={Math.max(max, 1)} aria-label={label} />
      <span>
        {value} / {max}
      </span>
    </div>
  );
}
