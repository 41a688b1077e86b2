/** One line of the benchmark table. */
export interface Row {
  readonly scenario: string;
  readonly metric: string;
  readonly floor: string;
  readonly library: string;
  readonly ratio: number;
  readonly ratioLabel: string;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function renderTable(rows: readonly Row[]): string {
  const lines = ['| scenario | metric | floor | redsync-ts | ratio |', '|---|---|---|---|---|'];
  for (const r of rows) lines.push(`| ${r.scenario} | ${r.metric} | ${r.floor} | ${r.library} | ${r.ratio.toFixed(3)} (${r.ratioLabel}) |`);
  return lines.join('\n');
}
