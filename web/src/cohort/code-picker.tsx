/**
 * Code pickers of the cohort editor: search ICD-10, ICD-9-CM-3, LOINC or ATC by code or by Chinese or English name
 * (GET /api/federation/concepts), and show every chosen code with its name in the current language. Names of
 * codes already in a loaded definition are looked up once (POST /api/federation/concepts/lookup) and kept in a
 * cache shared by every picker of one editor.
 */
import { Select, Spin, Tag, Tooltip, Typography } from 'antd';
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useRef, useState } from 'react';
import { isAbort } from '../api.ts';
import type { Concept, ConceptLookupResponse, ConceptSearchResponse } from '../api-types.ts';
import { useLang, useT } from '../i18n/i18n-context.tsx';
import type { Lang } from '../i18n/messages.ts';
import { useSession } from '../session/session-context.tsx';
import type { Vocabulary } from './tree.ts';

/** Results one search shows. */
const SEARCH_LIMIT = 20;
/** Wait after the last keystroke before searching, in milliseconds. */
const SEARCH_DEBOUNCE_MS = 250;
/** Longest query the hub accepts, in characters. */
const QUERY_CHARS_MAX = 100;
/** Most codes one lookup sends. */
const LOOKUP_CODES_MAX = 1_000;

interface ConceptCache {
  /** The known concept of a code, or undefined while unknown or not looked up. */
  get(code: string): Concept | undefined;
  /** Remembers concepts seen in search results. */
  remember(concepts: readonly Concept[]): void;
  /** Looks up the names of codes not seen yet. */
  ensure(codes: readonly string[]): void;
}

const ConceptCacheContext = createContext<ConceptCache | null>(null);

/** Holds the names of the codes one editor shows, looking up missing ones in batches. */
export function ConceptCacheProvider({ children }: { children: ReactNode }) {
  const { api } = useSession();
  const known = useRef(new Map<string, Concept>());
  const asked = useRef(new Set<string>());
  const [, setVersion] = useState(0);

  const remember = useCallback((concepts: readonly Concept[]) => {
    let added = false;
    for (const c of concepts) {
      if (!known.current.has(c.code)) {
        known.current.set(c.code, c);
        added = true;
      }
    }
    if (added) setVersion((v) => v + 1);
  }, []);

  const ensure = useCallback(
    (codes: readonly string[]) => {
      const missing = codes.filter((c) => c !== '' && !known.current.has(c) && !asked.current.has(c));
      if (missing.length === 0) return;
      const batch = missing.slice(0, LOOKUP_CODES_MAX);
      for (const c of batch) asked.current.add(c);
      api
        .request<ConceptLookupResponse>('/api/federation/concepts/lookup', { method: 'POST', body: { codes: batch } })
        .then(
          (answer) => remember(answer.known.map(({ input: _input, ...concept }) => concept)),
          () => {
            // Names are a convenience: the codes stay shown as codes, and the next change asks again.
            for (const c of batch) asked.current.delete(c);
          },
        );
    },
    [api, remember],
  );

  const value = useMemo<ConceptCache>(
    () => ({ get: (code) => known.current.get(code), remember, ensure }),
    [remember, ensure],
  );
  return <ConceptCacheContext.Provider value={value}>{children}</ConceptCacheContext.Provider>;
}

/** The concept cache of the surrounding editor. */
export function useConceptCache(): ConceptCache {
  const cache = useContext(ConceptCacheContext);
  if (!cache) throw new Error('useConceptCache() used outside <ConceptCacheProvider>');
  return cache;
}

/** A concept's name in a language. */
export function conceptName(concept: Concept, lang: Lang): string {
  return lang === 'en' ? concept.en : concept.zh;
}

/** Searches concepts of one vocabulary as the user types (debounced, the previous search aborted). */
function useConceptSearch(vocabulary: Vocabulary) {
  const { api } = useSession();
  const cache = useConceptCache();
  const [query, setQuery] = useState('');
  const [hits, setHits] = useState<Concept[]>([]);
  const [loading, setLoading] = useState(false);
  const [failed, setFailed] = useState(false);

  useEffect(() => {
    const q = query.trim().slice(0, QUERY_CHARS_MAX);
    if (q === '') {
      setHits([]);
      setLoading(false);
      return;
    }
    const controller = new AbortController();
    setLoading(true);
    const timer = setTimeout(() => {
      const params = new URLSearchParams({ q, vocabulary, limit: String(SEARCH_LIMIT) });
      api.request<ConceptSearchResponse>(`/api/federation/concepts?${params}`, { signal: controller.signal }).then(
        (answer) => {
          cache.remember(answer.hits);
          setHits(answer.hits);
          setFailed(false);
          setLoading(false);
        },
        (e: unknown) => {
          if (isAbort(e) || controller.signal.aborted) return;
          setHits([]);
          setFailed(true);
          setLoading(false);
        },
      );
    }, SEARCH_DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [api, cache, query, vocabulary]);

  return { query, setQuery, hits, loading, failed };
}

/** Props of the code pickers. */
interface PickerProps {
  vocabulary: Vocabulary;
  placeholder?: string;
  testId?: string;
  status?: 'error';
}

/** One option: the code in monospace, then its name. */
function ConceptLabel({ code, concept, lang }: { code: string; concept: Concept | undefined; lang: Lang }) {
  return (
    <span>
      <Typography.Text code style={{ marginInlineEnd: 6 }}>
        {code}
      </Typography.Text>
      {concept ? conceptName(concept, lang) : null}
    </span>
  );
}

function useOptions(vocabulary: Vocabulary, selected: readonly string[]) {
  const { lang } = useLang();
  const cache = useConceptCache();
  const search = useConceptSearch(vocabulary);
  // biome-ignore lint/correctness/useExhaustiveDependencies: names arrive through the cache (re-render)
  useEffect(() => cache.ensure(selected), [cache, selected.join('\n')]);
  const codes = [...selected, ...search.hits.map((h) => h.code).filter((c) => !selected.includes(c))];
  const options = codes.map((code) => {
    const concept = cache.get(code);
    return {
      value: code,
      label: <ConceptLabel code={code} concept={concept} lang={lang} />,
      title: concept ? `${code} ${conceptName(concept, lang)}` : code,
    };
  });
  return { search, options };
}

/** A multiple-code picker (diagnoses, drugs, procedures, causes of death). */
export function CodesPicker({
  value,
  onChange,
  ...props
}: PickerProps & { value: readonly string[]; onChange: (codes: string[]) => void }) {
  const t = useT();
  const { search, options } = useOptions(props.vocabulary, value);
  return (
    <Select<string[]>
      mode="multiple"
      data-testid={props.testId}
      status={props.status}
      style={{ minWidth: 280, flex: '1 1 320px' }}
      value={[...value]}
      onChange={onChange}
      showSearch={{ filterOption: false, onSearch: search.setQuery, searchValue: search.query }}
      onBlur={() => search.setQuery('')}
      placeholder={props.placeholder ?? t('cohort.code.search', { vocabulary: props.vocabulary })}
      notFoundContent={<SearchState search={search} />}
      options={options}
      optionLabelProp="label"
      tagRender={({ value: code, closable, onClose }) => (
        <CodeTag code={String(code)} closable={closable} onClose={onClose} />
      )}
    />
  );
}

/** A single-code picker (a lab or an observation). */
export function CodePicker({
  value,
  onChange,
  ...props
}: PickerProps & { value: string; onChange: (code: string, concept: Concept | undefined) => void }) {
  const t = useT();
  const cache = useConceptCache();
  const selected = useMemo(() => (value === '' ? [] : [value]), [value]);
  const { search, options } = useOptions(props.vocabulary, selected);
  return (
    <Select<string>
      data-testid={props.testId}
      status={props.status}
      style={{ minWidth: 280, flex: '1 1 320px' }}
      value={value === '' ? undefined : value}
      onChange={(code) => onChange(code, cache.get(code))}
      showSearch={{ filterOption: false, onSearch: search.setQuery, searchValue: search.query }}
      onBlur={() => search.setQuery('')}
      placeholder={props.placeholder ?? t('cohort.code.search', { vocabulary: props.vocabulary })}
      notFoundContent={<SearchState search={search} />}
      options={options}
    />
  );
}

/** A chosen code as a closable tag: the code, then its name (in full in a tooltip). */
function CodeTag({ code, closable, onClose }: { code: string; closable: boolean; onClose: () => void }) {
  const { lang } = useLang();
  const concept = useConceptCache().get(code);
  const name = concept ? conceptName(concept, lang) : undefined;
  return (
    <Tooltip title={name}>
      <Tag
        closable={closable}
        onClose={onClose}
        onMouseDown={(e) => e.preventDefault()}
        style={{ marginInlineEnd: 4, maxWidth: 260, overflow: 'hidden', textOverflow: 'ellipsis' }}
      >
        <span style={{ fontFamily: 'monospace' }}>{code}</span>
        {name ? ` ${name}` : null}
      </Tag>
    </Tooltip>
  );
}

function SearchState({ search }: { search: ReturnType<typeof useConceptSearch> }) {
  const t = useT();
  if (search.loading) return <Spin size="small" />;
  if (search.failed) return <Typography.Text type="danger">{t('cohort.code.searchFailed')}</Typography.Text>;
  return (
    <Typography.Text type="secondary">
      {search.query.trim() === '' ? t('cohort.code.typeToSearch') : t('cohort.code.noMatch')}
    </Typography.Text>
  );
}
