// Keyboard triage: single-key shortcuts that never fire while typing.
import { useEffect, useRef } from 'react';

export function isTyping(target: EventTarget | null): boolean {
  if (!target || !(target as HTMLElement).tagName) return false;
  const el = target as HTMLElement;
  const tag = el.tagName.toLowerCase();
  if (tag === 'textarea' || tag === 'select') return true;
  if (tag === 'input') {
    const type = ((el as HTMLInputElement).type || 'text').toLowerCase();
    return !['radio', 'checkbox', 'button', 'submit', 'reset'].includes(type);
  }
  return el.isContentEditable;
}

/** The shortcut a key event names, or null (modifiers, typing, open dialogs). */
export function shortcutKey(e: { key: string; ctrlKey: boolean; metaKey: boolean; altKey: boolean; target: EventTarget | null }): string | null {
  if (e.ctrlKey || e.metaKey || e.altKey) return null;
  if (isTyping(e.target)) return null;
  return e.key;
}

/** Handlers by key; one that returns false did not handle the key (the browser's default then happens). */
export function useShortcuts(handlers: Record<string, (e: KeyboardEvent) => boolean | void>): void {
  const ref = useRef(handlers);
  ref.current = handlers;
  useEffect(() => {
    const on = (e: KeyboardEvent) => {
      if (document.querySelector('dialog[open]')) return;
      const key = shortcutKey(e);
      if (key === null) return;
      const h = ref.current[key];
      if (h && h(e) !== false) e.preventDefault();
    };
    window.addEventListener('keydown', on);
    return () => window.removeEventListener('keydown', on);
  }, []);
}
