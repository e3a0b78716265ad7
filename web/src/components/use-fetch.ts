/**
 * Data loaded once per input: calls `load` when it changes (a new node, filter or id), aborts the call it
 * replaces and the one pending at unmount, and lets the page load again on demand (after a change it made).
 * A new `load` starts from empty; a reload keeps the data shown until the answer arrives. `load` null means
 * nothing to load yet (no node chosen, drawer closed).
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, isAbort, isApiError } from '../api.ts';

/** The latest answer, the latest error, whether a call is in flight, and a way to call again. */
export interface FetchState<T> {
  data: T | null;
  error: ApiError | null;
  loading: boolean;
  reload: () => void;
}

/** Loads with `load` (keep it stable with useCallback; a new function means new data). */
export function useFetch<T>(load: ((signal: AbortSignal) => Promise<T>) | null): FetchState<T> {
  const [state, setState] = useState<Omit<FetchState<T>, 'reload'>>({ data: null, error: null, loading: false });
  const [round, setRound] = useState(0);
  const reload = useCallback(() => setRound((n) => n + 1), []);
  const lastLoad = useRef(load);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `round` is the reload trigger
  useEffect(() => {
    if (!load) {
      setState({ data: null, error: null, loading: false });
      return;
    }
    const controller = new AbortController();
    const fresh = lastLoad.current !== load;
    lastLoad.current = load;
    setState((prev) => (fresh ? { data: null, error: null, loading: true } : { ...prev, loading: true }));
    load(controller.signal).then(
      (data) => {
        if (!controller.signal.aborted) setState({ data, error: null, loading: false });
      },
      (e: unknown) => {
        if (controller.signal.aborted || isAbort(e)) return;
        const error = isApiError(e) ? e : new ApiError('MER_INTERNAL', String(e), 0);
        setState((prev) => ({ data: prev.data, error, loading: false }));
      },
    );
    return () => controller.abort();
  }, [load, round]);

  return { ...state, reload };
}
