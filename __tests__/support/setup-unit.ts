import { isolateTestEnvironment } from './environment';

isolateTestEnvironment('unit');
