/** Exit statuses of the agent; the systemd unit restarts on every one but EXIT_DO_NOT_RESTART. */

export const EXIT_OK = 0;
/** Something failed that a later start may not hit (server unreachable at enrollment, bad answer). */
export const EXIT_FAILURE = 1;
/** Asked to restart (the `restart-agent` command): the supervisor starts it again. */
export const EXIT_RESTART = 75;
/** Starting again cannot help (bad config, revoked device, refused enrollment): sysexits EX_CONFIG. */
export const EXIT_DO_NOT_RESTART = 78;
