/**
 * The header lines of the tables the steps hand each other. Reduce writes the HTTP status as a fifth
 * column (downloads are the 200s, views the runs of 206s); the original tool, and versions of this
 * one before the status, wrote four. Bin reads both, and writes the status only for reduced folders
 * that have it, so binning the original's reduced days still gives the original's binned files
 * byte for byte. Which one a folder holds is in src/formats/work-formats.ts.
 */
export const REDUCED_HEADER = "timestamp\tip_address\tobject_key\tbytes_sent\tstatus\n";
/** The reduced header of the original tool and of earlier versions: no status. */
export const REDUCED_HEADER_WITHOUT_STATUS = "timestamp\tip_address\tobject_key\tbytes_sent\n";
/** The binned header of the original tool: what bin writes for rows without a status. */
export const BINNED_HEADER = "timestamp\tbytes_sent\tip_address\n";
/** The binned header of rows that carry their HTTP status, which map needs for downloads and views. */
export const BINNED_STATUS_HEADER = "timestamp\tbytes_sent\tip_address\tstatus\n";
