/**
 * Hours after a day's end that its log objects are taken to be all delivered. AWS delivers almost
 * every line within a few hours; lines later still are not lost, they make a further unit.
 */
export const DEFAULT_SETTLE_HOURS = 3;
