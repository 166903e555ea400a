const GERUNDS: Record<string, string> = {
  get: 'Getting', fetch: 'Fetching', search: 'Searching', find: 'Finding', read: 'Reading',
  write: 'Writing', create: 'Creating', delete: 'Deleting', remove: 'Removing', update: 'Updating',
  list: 'Listing', send: 'Sending', run: 'Running', calculate: 'Calculating', compute: 'Computing',
  check: 'Checking', lookup: 'Looking up', look: 'Looking', query: 'Querying', add: 'Adding',
  set: 'Setting', save: 'Saving', load: 'Loading', open: 'Opening', close: 'Closing',
  transfer: 'Transferring', book: 'Booking', cancel: 'Cancelling', refund: 'Refunding',
  message: 'Messaging', translate: 'Translating', summarize: 'Summarizing', analyze: 'Analyzing',
  generate: 'Generating', download: 'Downloading', upload: 'Uploading', execute: 'Executing',
  echo: 'Echoing', count: 'Counting', schedule: 'Scheduling', move: 'Moving', copy: 'Copying',
};

const MAX_ARGUMENT_TEXT = 60;

/**
 * A short progress line for a tool call, e.g. `get_weather({city: 'Paris'})` →
 * "Getting weather for Paris...". Built from the tool name's verb and the call's text arguments;
 * tools whose name starts with no known verb read "Using <tool>...".
 */
export function describeToolCall(toolName: string, args: Record<string, unknown>): string {
  const words = toolName
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[\s_\-.]+/)
    .filter((word) => word.length > 0)
    .map((word) => word.toLowerCase());
  const [verb, ...rest] = words;
  const gerund = verb === undefined ? undefined : GERUNDS[verb];
  const action = gerund ? [gerund, ...rest].join(' ') : `Using ${toolName}`;
  const subject = Object.values(args)
    .filter((value): value is string | number => typeof value === 'string' || typeof value === 'number')
    .map((value) => String(value).trim())
    .filter((value) => value.length > 0)
    .slice(0, 2)
    .join(', ');
  if (subject.length === 0) return `${action}...`;
  const shortened = subject.length > MAX_ARGUMENT_TEXT ? `${subject.slice(0, MAX_ARGUMENT_TEXT - 1)}…` : subject;
  return `${action} for ${shortened}...`;
}
