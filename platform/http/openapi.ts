import { OpenApiGeneratorV31, OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from './zod';

export type OpenApiDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>;

export const BEARER_AUTH = 'bearerAuth';

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'validation_failed' }),
      message: z.string().openapi({ description: 'In the reader’s language: zh or en as Accept-Language names it, else the caller’s own language, else English' }),
      details: z.unknown().openapi({ description: 'For validation_failed: `[{ field, message }]`, one per bad field, each message in the reader’s language' }),
    }),
  })
  .openapi('Error');

export function createOpenApiRegistry(): OpenAPIRegistry {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', BEARER_AUTH, {
    type: 'http',
    scheme: 'bearer',
    description: 'An API token (`ac_…`) issued when a user is created',
  });
  return registry;
}

export function generateOpenApiDocument(registry: OpenAPIRegistry): OpenApiDocument {
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Aftercare API',
      version: '0.1.0',
      description: 'After-sales service automation. Every error is `{ "error": { "code", "message", "details" } }`.',
    },
  });
}
