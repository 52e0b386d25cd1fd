import { TOPIC_ROOT } from '@flotilla/protocol';

/** The protocol generation this SDK speaks, the version segment of its topics. */
export const PROTOCOL_VERSION = TOPIC_ROOT.split('/')[1] as string;
