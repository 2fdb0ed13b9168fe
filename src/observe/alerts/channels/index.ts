export { ChannelHttpError, postJson, type PostOptions } from "./http.js";
export { slackChannel, type SlackChannelOptions, slackPayload } from "./slack.js";
export { emailChannel, type EmailChannelOptions } from "./email.js";
export {
  dedupKey,
  PAGERDUTY_EVENTS_URL,
  pagerDutyChannel,
  type PagerDutyChannelOptions,
  pagerDutyEvent,
} from "./pagerduty.js";
export {
  WEBHOOK_PAYLOAD_VERSION,
  webhookChannel,
  type WebhookChannelOptions,
  webhookPayload,
} from "./webhook.js";
export { gitHubIssueChannel, type GitHubIssueChannelOptions, issueMarker } from "./github-issue.js";
