import { condition, continueAsNew, setHandler, workflowInfo } from '@temporalio/workflow';
import { getToolCatalogQuery, publishToolCatalogSignal, type ToolCatalog } from './definitions';

/** Publications a run takes before it continues as new (each is one signal in history). */
const PUBLICATIONS_PER_RUN = 500;

/** Holds the newest published catalog of one task queue, for as long as workers publish. */
export async function toolCatalogWorkflow(initial?: ToolCatalog): Promise<void> {
  let catalog = initial;
  let publications = 0;
  setHandler(publishToolCatalogSignal, (published) => {
    catalog = published;
    publications += 1;
  });
  setHandler(getToolCatalogQuery, () => catalog);
  await condition(() => publications >= PUBLICATIONS_PER_RUN || workflowInfo().continueAsNewSuggested);
  await continueAsNew<typeof toolCatalogWorkflow>(catalog);
}

