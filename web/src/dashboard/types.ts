/** Bodies of the dashboard and catalog API the portal reads (the hub's own types, imported as types only). */

/** One field of the canonical model as the catalog lists it. */
export type { CatalogField } from '../../../src/catalog/definitions.ts';
/** A field's value distribution at one hospital, as released (counts under the minimum cell withheld). */
export type { Distribution } from '../../../src/catalog/schemas.ts';
/** Bodies of `GET /api/catalog` and `GET /api/catalog/:table`. */
export type {
  CatalogFieldView,
  CatalogHospital,
  CatalogListResponse,
  CatalogTableResponse,
  CatalogTableSummary,
} from '../../../src/hub/catalog/views.ts';
/** One day of ledger activity. */
export type { ActivityDay } from '../../../src/hub/dashboard/activity.ts';
/** Body of `GET /api/dashboard` and its per-hospital line. */
export type { DashboardHospital, DashboardResponse } from '../../../src/hub/dashboard/views.ts';
