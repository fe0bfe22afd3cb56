// Original file: proto/zkmig/agent/v1/agent.proto

export const ServiceAction = {
  SERVICE_ACTION_UNSPECIFIED: 'SERVICE_ACTION_UNSPECIFIED',
  START: 'START',
  STOP: 'STOP',
  RESTART: 'RESTART',
} as const;

export type ServiceAction =
  | 'SERVICE_ACTION_UNSPECIFIED'
  | 0
  | 'START'
  | 1
  | 'STOP'
  | 2
  | 'RESTART'
  | 3

export type ServiceAction__Output = typeof ServiceAction[keyof typeof ServiceAction]
