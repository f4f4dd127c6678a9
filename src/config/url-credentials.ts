/** A URL with its user-info taken out: what fetch accepts, plus the credentials for basic auth. */
export interface UrlWithoutCredentials {
  /** the URL as given, minus "user:password@" */
  url: string;
  /** percent-decoded; undefined when the URL had no user-info */
  username: string | undefined;
  password: string | undefined;
}

const LEADING_USER_INFO = /^([a-z][a-z0-9+.-]*:\/\/)([^\s/?#]*)@/i;

/**
 * Splits "http://user:pw@host/path" into "http://host/path" and the decoded credentials, keeping
 * the rest of the text as written (no normalisation, no added slash). Throws URIError when the
 * user-info has a malformed percent escape.
 */
export function splitUrlCredentials(text: string): UrlWithoutCredentials {
  const match = LEADING_USER_INFO.exec(text);
  if (match === null) return { url: text, username: undefined, password: undefined };
  const [whole, scheme, userInfo] = match as unknown as [string, string, string];
  const colon = userInfo.indexOf(':');
  const user = colon < 0 ? userInfo : userInfo.slice(0, colon);
  const password = colon < 0 ? undefined : userInfo.slice(colon + 1);
  return {
    url: `${scheme}${text.slice(whole.length)}`,
    username: decodeURIComponent(user),
    password: password === undefined ? undefined : decodeURIComponent(password),
  };
}
