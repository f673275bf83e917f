/**
 * Third-party text (display names in finding titles) as literal Slack `mrkdwn`. Slack reads `<…>` as
 * mentions (`<@U123>`, `<!here>`), channel links and `<url|text>` links, and asks apps to escape `&`,
 * `<` and `>` as HTML entities ("Escaping text", docs.slack.dev/messaging/formatting-message-text).
 * Slack also turns bare URLs and domain names into links by itself, so they are defanged the way
 * security teams write indicators (`hxxps[:]//evil[.]example`): readable, not clickable.
 */
export function escapeMrkdwn(text: string): string {
  return defangLinks(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function defangLinks(text: string): string {
  return (
    text
      .replace(/\b(https?|ftp):\/\//gi, (_m, scheme: string) => `${scheme.replace(/t/gi, 'x')}[:]//`)
      // A dot between two name labels where the second starts with a letter: a domain, or an e-mail's.
      .replace(/([A-Za-z0-9-])\.(?=[A-Za-z][A-Za-z0-9-]*\b)/g, '$1[.]')
  );
}
