/** The cohort builder's public pieces, for the cohorts page and the project page. */
export { CodePicker, CodesPicker, ConceptCacheProvider, conceptName } from './code-picker.tsx';
export { CohortBuilder, type CohortBuilderProps } from './cohort-builder.tsx';
export { CohortEditor, type CohortEditorProps, problemText } from './cohort-editor.tsx';
export { type CountRow, countCsvRows, countRows } from './count-helpers.ts';
export { CountResult } from './count-result.tsx';
export { COHORT_ROLES } from './roles.ts';
export {
  type CohortEditorState,
  createIdSource,
  emptyEditor,
  fromDefinition,
  toDefinition,
  validateEditor,
} from './tree.ts';
