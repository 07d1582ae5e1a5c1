/** The header lines of the tables the steps hand each other, as the original tool writes them. */
export const REDUCED_HEADER = "timestamp\tip_address\tobject_key\tbytes_sent\n";
export const BINNED_HEADER = "timestamp\tbytes_sent\tip_address\n";
/** The binned header of rows that carry their HTTP status, which map needs for downloads and views. */
export const BINNED_STATUS_HEADER = "timestamp\tbytes_sent\tip_address\tstatus\n";
