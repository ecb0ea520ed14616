/** hostout.ubuntu (1.0a4, 2010): absorbed into the built-in bootstrap (see absorbed.ts). */
import { absorbedOsPlugin, installPIL } from './absorbed';

export default absorbedOsPlugin('hostout.ubuntu', 'ubuntu', { installPIL: installPIL('hostout.ubuntu') });
