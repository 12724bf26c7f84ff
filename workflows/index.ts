export { conversation } from './conversation';
export { inbox } from './inbox';
export { slackInstallation } from './slack-installation';
