/**
 * Live data by polling: load, wait `intervalMs` after the answer (never two calls in flight), load again,
 * until the component unmounts (the pending call is aborted and the timer cleared). While the tab is hidden
 * the load is skipped. A 401 or 403 stops the loop: asking again will not change the answer.
 */
import { useEffect, useState } from 'react';
import { ApiError, isAbort, isApiError } from '../api.ts';

/** The latest data (kept through later failures), the latest error, and whether the loop has stopped. */
export interface PollState<T> {
  data: T | null;
  error: ApiError | null;
  stopped: boolean;
}

/** Polls `load` every `intervalMs`; `load` must be stable (useCallback), or the loop restarts on each render. */
export function usePoll<T>(load: (signal: AbortSignal) => Promise<T>, intervalMs: number): PollState<T> {
  const [state, setState] = useState<PollState<T>>({ data: null, error: null, stopped: false });

  useEffect(() => {
    let unmounted = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let controller: AbortController | undefined;

    const tick = async () => {
      if (document.visibilityState !== 'hidden') {
        controller = new AbortController();
        try {
          const data = await load(controller.signal);
          if (unmounted) return;
          setState({ data, error: null, stopped: false });
        } catch (e) {
          if (unmounted || isAbort(e)) return;
          const error = isApiError(e) ? e : new ApiError('MER_INTERNAL', String(e), 0);
          const stop = error.status === 401 || error.status === 403;
          setState((prev) => ({ data: prev.data, error, stopped: stop }));
          if (stop) return;
        }
      }
      if (!unmounted) timer = setTimeout(() => void tick(), intervalMs);
    };

    setState({ data: null, error: null, stopped: false });
    void tick();
    return () => {
      unmounted = true;
      controller?.abort();
      clearTimeout(timer);
    };
  }, [load, intervalMs]);

  return state;
}
