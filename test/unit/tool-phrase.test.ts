import { describeToolCall } from '../../src/core/tool-phrase';

describe('describeToolCall', () => {
  it('turns the verb into a gerund and adds the text arguments', () => {
    expect(describeToolCall('get_weather', { city: 'Paris' })).toBe('Getting weather for Paris...');
  });

  it('splits camelCase and kebab-case names', () => {
    expect(describeToolCall('getWeather', { city: 'Paris' })).toBe('Getting weather for Paris...');
    expect(describeToolCall('searchFlightDeals', { to: 'Rome' })).toBe('Searching flight deals for Rome...');
    expect(describeToolCall('send-email', { to: 'ana@example.com' })).toBe('Sending email for ana@example.com...');
  });

  it('uses multi-word gerunds such as "Looking up"', () => {
    expect(describeToolCall('lookup_order', { orderId: 123 })).toBe('Looking up order for 123...');
  });

  it('reads "Using <tool>" when the name starts with no known verb', () => {
    expect(describeToolCall('weather_report', { city: 'Oslo' })).toBe('Using weather_report for Oslo...');
    expect(describeToolCall('frobnicate', {})).toBe('Using frobnicate...');
  });

  it('has no "for" part without text or number arguments', () => {
    expect(describeToolCall('list_files', {})).toBe('Listing files...');
    expect(describeToolCall('list_files', { recursive: true, filter: { ext: 'ts' }, empty: '  ' })).toBe(
      'Listing files...',
    );
  });

  it('uses at most the first two text arguments', () => {
    expect(describeToolCall('transfer_funds', { from: 'checking', to: 'savings', amount: 50 })).toBe(
      'Transferring funds for checking, savings...',
    );
  });

  it('truncates long arguments to 60 characters with an ellipsis', () => {
    const phrase = describeToolCall('search_docs', { query: 'x'.repeat(500) });
    expect(phrase).toBe(`Searching docs for ${'x'.repeat(59)}…...`);
  });

  it('keeps arguments of exactly 60 characters whole', () => {
    const query = 'y'.repeat(60);
    expect(describeToolCall('search_docs', { query })).toBe(`Searching docs for ${query}...`);
  });
});
