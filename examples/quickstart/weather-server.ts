/**
 * A small MCP server over stdio with one tool, `get_weather`. It stands in for any MCP server
 * your agents use (filesystem, search, your own APIs). Data is fixed so the example can check
 * its own result.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

const FORECASTS: Record<string, string> = {
  paris: 'Sunny, 21°C, light wind from the west',
  london: 'Light rain, 14°C',
  tokyo: 'Clear skies, 26°C',
};

const server = new McpServer({ name: 'weather', version: '1.0.0' });

server.registerTool(
  'get_weather',
  {
    description: 'Current weather for a city.',
    inputSchema: { city: z.string().describe('City name, e.g. Paris') },
  },
  ({ city }) => {
    const forecast = FORECASTS[city.trim().toLowerCase()];
    return forecast
      ? { content: [{ type: 'text', text: `${city}: ${forecast}` }] }
      : { content: [{ type: 'text', text: `No forecast for ${city}.` }], isError: true };
  },
);

server.connect(new StdioServerTransport()).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
