// i18next with three bundled catalogs. The language comes from ?lang=,
// then the saved choice, then the browser (en or es), else pt-BR.
import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';
import en from './en.json';
import es from './es.json';
import ptBR from './pt-BR.json';

export const LANGUAGES = [
  { code: 'pt-BR', label: 'Português (Brasil)' },
  { code: 'en', label: 'English' },
  { code: 'es', label: 'Español' },
] as const;
export type Language = (typeof LANGUAGES)[number]['code'];
const STORAGE_KEY = 'leadflow.lang';

export function pickLanguage(search: string, saved: string | null, browser: readonly string[]): Language {
  const known = (v: string | null | undefined): Language | null => {
    if (!v) return null;
    const l = v.toLowerCase();
    if (l === 'pt-br' || l === 'pt') return 'pt-BR';
    if (l === 'en' || l.startsWith('en-')) return 'en';
    if (l === 'es' || l.startsWith('es-')) return 'es';
    return null;
  };
  const fromQuery = known(new URLSearchParams(search).get('lang'));
  if (fromQuery) return fromQuery;
  const fromSaved = known(saved);
  if (fromSaved) return fromSaved;
  for (const b of browser) {
    const l = known(b);
    if (l === 'en' || l === 'es') return l;
    if (b.toLowerCase().startsWith('pt')) return 'pt-BR';
  }
  return 'pt-BR';
}

export function setLanguage(lang: Language): void {
  localStorage.setItem(STORAGE_KEY, lang);
  document.documentElement.lang = lang;
  void i18n.changeLanguage(lang);
}

export function initI18n(): typeof i18n {
  const lang = pickLanguage(location.search, localStorage.getItem(STORAGE_KEY), navigator.languages ?? []);
  if (new URLSearchParams(location.search).has('lang')) localStorage.setItem(STORAGE_KEY, lang);
  document.documentElement.lang = lang;
  void i18n.use(initReactI18next).init({
    resources: { 'pt-BR': { translation: ptBR }, en: { translation: en }, es: { translation: es } },
    lng: lang,
    fallbackLng: 'en',
    interpolation: { escapeValue: false },
    returnNull: false,
  });
  return i18n;
}
