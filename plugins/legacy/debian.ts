/** hostout.debian (0.1, 2010): absorbed into the built-in bootstrap (see absorbed.ts). */
import { absorbedOsPlugin, installPIL, installPIP } from './absorbed';

export default absorbedOsPlugin('hostout.debian', 'debian', { installPIL: installPIL('hostout.debian'), installPIP: installPIP('hostout.debian') });
