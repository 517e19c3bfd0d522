import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

// `.openapi()` has to exist before any schema calls it: API code imports `z` from here to guarantee that.
extendZodWithOpenApi(z);

export { z };
