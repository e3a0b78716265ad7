/** The honest placeholder for a page that does not exist yet: says so, and what the page will do. */
import { Result } from 'antd';
import { useT } from '../i18n/i18n-context.tsx';
import type { NavKey } from '../nav.tsx';

/** The pages that are still placeholders. */
export type NotBuiltKey = Exclude<
  NavKey,
  'nodes' | 'sources' | 'mappings' | 'quality' | 'identity' | 'deid' | 'ledger' | 'validators'
>;

/** An antd Result titled with the page's name, saying it is not built yet and what it will do. */
export function NotBuilt({ page }: { page: NotBuiltKey }) {
  const t = useT();
  return (
    <div data-testid="page-not-built">
      <Result status="info" title={t(`nav.${page}`)} subTitle={t(`notBuilt.${page}`)} />
    </div>
  );
}
