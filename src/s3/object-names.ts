/**
 * The name AWS gives a server access log object: `YYYY-MM-DD-HH-MM-SS-UNIQUESTRING`, after the
 * prefix (SimplePrefix), or after `ACCOUNT/REGION/BUCKET/YYYY/MM/DD/` (PartitionedPrefix). Either
 * way the last path segment names the delivery time, which is all reduce needs of the name.
 */
const OBJECT_NAME = /^(\d{4})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-[0-9A-Za-z]+$/;

/** The delivery time (ms since the epoch, UTC) named by a log object's key, or null when it names none. */
export function deliveryTimeOf(key: string): number | null {
  const match = OBJECT_NAME.exec(key.slice(key.lastIndexOf("/") + 1));
  if (match === null) return null;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number);
  const time = Date.UTC(year, month - 1, day, hour, minute, second);
  const date = new Date(time);
  if (
    date.getUTCMonth() !== month - 1 ||
    date.getUTCDate() !== day ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  )
    return null;
  return time;
}

/** Whether the last segment of `name` looks like a log object's name (for telling a folder's layout). */
export function isLogObjectName(name: string): boolean {
  return deliveryTimeOf(name) !== null;
}
