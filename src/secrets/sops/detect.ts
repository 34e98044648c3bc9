// Pure: the cheap test every manifest file's text gets before anything SOPS is loaded, so that runs
// over plain files never load the SOPS layer (its modules are a tenth of start-up).

/** A cheap test on the raw text before any parse: can this file carry SOPS metadata at all? */
export function mayBeSops(text: string): boolean {
  return text.includes('sops') && text.includes('lastmodified') && text.includes('mac');
}
