/** Process exit codes of churn-scorer (documented in the README's CLI section). */
export const EXIT_OK = 0;
/** Fatal: bad configuration, bad model artifact, unreadable input, usage error. */
export const EXIT_FAILURE = 1;
/** `score` finished but some input lines were bad (each got an error object in the output). */
export const EXIT_SOME_LINES_BAD = 2;
