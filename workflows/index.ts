export { conversation } from './conversation';
export { inbox } from './inbox';
