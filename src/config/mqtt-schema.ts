/** The `mqtt` section: which broker the bridge reads devices from (see config/default.yaml). */
export const mqttSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['mode'],
  properties: {
    mode: {
      type: 'string', enum: ['embedded', 'external'],
      description: '"embedded" (a broker inside Switchboard) or "external" (an existing broker)',
    },
  },
} as const;

export interface MqttConfig {
  mode: 'embedded' | 'external';
}
