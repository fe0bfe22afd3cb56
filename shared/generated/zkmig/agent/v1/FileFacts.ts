// Original file: proto/zkmig/agent/v1/agent.proto

import type { PegasusFacts as _zkmig_agent_v1_PegasusFacts, PegasusFacts__Output as _zkmig_agent_v1_PegasusFacts__Output } from '../../../zkmig/agent/v1/PegasusFacts';

export interface FileFacts {
  'path'?: (string);
  'exists'?: (boolean);
  'size'?: (number);
  'sha256'?: (string);
  'mtime'?: (string);
  'mode'?: (number);
  'uid'?: (number);
  'gid'?: (number);
  'pegasus'?: (_zkmig_agent_v1_PegasusFacts | null);
  'error'?: (string);
}

export interface FileFacts__Output {
  'path': (string);
  'exists': (boolean);
  'size': (number);
  'sha256': (string);
  'mtime': (string);
  'mode': (number);
  'uid': (number);
  'gid': (number);
  'pegasus': (_zkmig_agent_v1_PegasusFacts__Output | null);
  'error': (string);
}
