/** A duration for people and models: '3 days', '90 seconds', '1500 ms' (the largest whole unit). Pure. */
export function formatDuration(milliseconds: number): string {
  const units: Array<[number, string]> = [
    [86_400_000, 'day'],
    [3_600_000, 'hour'],
    [60_000, 'minute'],
    [1000, 'second'],
  ];
  for (const [size, name] of units) {
    if (milliseconds >= size && milliseconds % size === 0) {
      const count = milliseconds / size;
      return `${count} ${name}${count === 1 ? '' : 's'}`;
    }
  }
  return `${milliseconds} ms`;
}
