//! The HTTP layer of the registry client: failover across URLs, retries
//! with full-jitter backoff, authentication, Confluent error bodies.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use reqwest::{Method, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::ClientError;

/// The media type Confluent's registry prefers, sent on bodies and accepted.
const MEDIA_TYPE: &str = "application/vnd.schemaregistry.v1+json";
const ACCEPT: &str =
    "application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json, application/json";

/// How to reach the registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryConfig {
    /// Base URLs, tried in turn when one is unreachable or answers 5xx.
    pub urls: Vec<String>,
    /// Credentials, if the registry needs them.
    pub auth: Option<Auth>,
    /// Timeout of one HTTP request.
    pub request_timeout: Duration,
    /// How many times a failed request is retried (each retry goes
    /// through every URL).
    pub max_retries: u32,
    /// The first backoff; it doubles per retry, with full jitter.
    pub retry_wait: Duration,
    /// The longest backoff.
    pub retry_max_wait: Duration,
    /// How long a subject's latest version is trusted before asking again.
    pub latest_ttl: Duration,
}

/// Registry credentials.
#[derive(Clone, PartialEq, Eq)]
pub enum Auth {
    /// HTTP basic authentication (`basic.auth.user.info`).
    Basic {
        /// The user (an API key on Confluent Cloud).
        user: String,
        /// The password (the API secret).
        password: String,
    },
    /// A bearer token.
    Bearer(String),
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Secrets never reach logs.
        match self {
            Auth::Basic { user, .. } => write!(f, "Basic({user}, ***)"),
            Auth::Bearer(_) => write!(f, "Bearer(***)"),
        }
    }
}

impl RegistryConfig {
    /// A configuration for `urls`, comma-separated as Confluent clients
    /// take them (`http://a:8081,http://b:8081`), with Confluent's defaults:
    /// 3 retries from 1 s to 20 s, and a 30 s request timeout.
    pub fn new(urls: &str) -> RegistryConfig {
        RegistryConfig {
            urls: urls
                .split(',')
                .map(|u| u.trim().trim_end_matches('/').to_owned())
                .filter(|u| !u.is_empty())
                .collect(),
            auth: None,
            request_timeout: Duration::from_secs(30),
            max_retries: 3,
            retry_wait: Duration::from_secs(1),
            retry_max_wait: Duration::from_secs(20),
            latest_ttl: Duration::from_secs(30),
        }
    }

    /// The same configuration with credentials.
    pub fn with_auth(mut self, auth: Auth) -> RegistryConfig {
        self.auth = Some(auth);
        self
    }
}

/// One registry answer's bytes, with the URL that answered.
pub(crate) struct Answer {
    pub(crate) body: bytes::Bytes,
}

pub(crate) struct Http {
    client: reqwest::Client,
    urls: Vec<Url>,
    config: RegistryConfig,
    /// The URL that answered last: requests start there, so a dead first
    /// URL costs one failover, not one per request.
    preferred: AtomicUsize,
}

impl std::fmt::Debug for Http {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Http")
            .field("urls", &self.config.urls)
            .finish_non_exhaustive()
    }
}

/// A request body that serialized to JSON.
pub(crate) type Body = Option<Vec<u8>>;

pub(crate) fn json_body<B: Serialize>(body: &B) -> Result<Body, ClientError> {
    serde_json::to_vec(body)
        .map(Some)
        .map_err(|e| ClientError::config(format!("cannot serialize a registry request: {e}")))
}

impl Http {
    pub(crate) fn new(config: RegistryConfig) -> Result<Http, ClientError> {
        if config.urls.is_empty() {
            return Err(ClientError::config("no schema registry URL given"));
        }
        let urls = config
            .urls
            .iter()
            .map(|u| {
                Url::parse(u).map_err(|e| ClientError::config(format!("registry URL {u:?}: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let client = reqwest::Client::builder()
            .timeout(config.request_timeout)
            .build()
            .map_err(|e| ClientError::config(format!("HTTP client: {e}")))?;
        Ok(Http {
            client,
            urls,
            config,
            preferred: AtomicUsize::new(0),
        })
    }

    pub(crate) fn config(&self) -> &RegistryConfig {
        &self.config
    }

    /// Sends a request to `segments` (percent-encoded one by one) with
    /// `query`, retrying and failing over, and parses the JSON answer.
    pub(crate) async fn json<T: DeserializeOwned>(
        &self,
        method: Method,
        segments: &[&str],
        query: &[(&str, String)],
        body: Body,
    ) -> Result<T, ClientError> {
        let (url, answer) = self.call(method, segments, query, body).await?;
        serde_json::from_slice(&answer.body).map_err(|e| ClientError::Registry {
            url,
            status: 200,
            error_code: 50005,
            message: format!("unreadable answer: {e}"),
        })
    }

    /// As [`json`](Self::json) for endpoints that answer plain text.
    pub(crate) async fn text(
        &self,
        segments: &[&str],
        query: &[(&str, String)],
    ) -> Result<String, ClientError> {
        let (_, answer) = self.call(Method::GET, segments, query, None).await?;
        Ok(String::from_utf8_lossy(&answer.body).into_owned())
    }

    async fn call(
        &self,
        method: Method,
        segments: &[&str],
        query: &[(&str, String)],
        body: Body,
    ) -> Result<(String, Answer), ClientError> {
        let n = self.urls.len();
        let mut attempt = 0u32;
        loop {
            let start = self.preferred.load(Ordering::Relaxed) % n;
            let mut last: Option<ClientError> = None;
            for k in 0..n {
                let index = (start + k) % n;
                let url = self.url(index, segments, query);
                match self.once(method.clone(), url.clone(), body.clone()).await {
                    Ok(answer) => {
                        self.preferred.store(index, Ordering::Relaxed);
                        return Ok((url.to_string(), answer));
                    }
                    Err(e) if e.is_retriable() => last = Some(e),
                    Err(e) => return Err(e),
                }
            }
            let error = last.unwrap_or_else(|| ClientError::config("no schema registry URL given"));
            if attempt >= self.config.max_retries {
                return Err(error);
            }
            tokio::time::sleep(self.backoff(attempt)).await;
            attempt += 1;
        }
    }

    /// Full jitter: a uniform draw in [0, min(max, wait * 2^attempt)].
    fn backoff(&self, attempt: u32) -> Duration {
        let cap = self
            .config
            .retry_wait
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.config.retry_max_wait);
        let millis = u64::try_from(cap.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(fastrand::u64(0..=millis))
    }

    fn url(&self, index: usize, segments: &[&str], query: &[(&str, String)]) -> Url {
        let mut url = self.urls[index].clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty();
            path.extend(segments);
        }
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        url
    }

    async fn once(&self, method: Method, url: Url, body: Body) -> Result<Answer, ClientError> {
        let mut request = self
            .client
            .request(method, url.clone())
            .header(reqwest::header::ACCEPT, ACCEPT)
            // Asks for the newer response fields (guid, ts, deleted).
            .header("Confluent-Accept-Unknown-Properties", "true");
        if let Some(body) = body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, MEDIA_TYPE)
                .body(body);
        }
        request = match &self.config.auth {
            Some(Auth::Basic { user, password }) => request.basic_auth(user, Some(password)),
            Some(Auth::Bearer(token)) => request.bearer_auth(token),
            None => request,
        };
        let unreachable = |e: reqwest::Error| ClientError::RegistryUnreachable {
            url: url.to_string(),
            reason: e.to_string(),
        };
        let response = request.send().await.map_err(unreachable)?;
        let status = response.status();
        let body = response.bytes().await.map_err(unreachable)?;
        if status.is_success() {
            return Ok(Answer { body });
        }
        let (error_code, message) = match serde_json::from_slice::<ErrorBody>(&body) {
            Ok(e) => (e.error_code, e.message),
            Err(_) => (-1, String::from_utf8_lossy(&body).into_owned()),
        };
        let status = status.as_u16();
        Err(ClientError::Registry {
            url: url.to_string(),
            status,
            error_code,
            message,
        })
    }
}

#[derive(serde::Deserialize)]
struct ErrorBody {
    error_code: i32,
    #[serde(default)]
    message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_on_commas_and_lose_trailing_slashes() {
        let c = RegistryConfig::new("http://a:8081/, http://b:8081");
        assert_eq!(c.urls, ["http://a:8081", "http://b:8081"]);
        assert!(Http::new(RegistryConfig::new("")).is_err());
        assert!(Http::new(RegistryConfig::new("not a url")).is_err());
    }

    #[test]
    fn segments_are_percent_encoded_under_a_base_path() {
        let http = Http::new(RegistryConfig::new("http://h:1/sr")).unwrap();
        let url = http.url(
            0,
            &["subjects", "a/b c", "versions"],
            &[("normalize", "true".into())],
        );
        assert_eq!(
            url.as_str(),
            "http://h:1/sr/subjects/a%2Fb%20c/versions?normalize=true"
        );
    }

    #[test]
    fn backoff_is_capped_and_jittered() {
        let mut c = RegistryConfig::new("http://h:1");
        c.retry_wait = Duration::from_millis(100);
        c.retry_max_wait = Duration::from_millis(250);
        let http = Http::new(c).unwrap();
        for attempt in 0..40 {
            assert!(http.backoff(attempt) <= Duration::from_millis(250));
        }
        assert!(http.backoff(0) <= Duration::from_millis(100));
    }

    #[test]
    fn secrets_stay_out_of_debug() {
        let a = Auth::Basic {
            user: "u".into(),
            password: "hunter2".into(),
        };
        assert!(!format!("{a:?}").contains("hunter2"));
        assert!(!format!("{:?}", Auth::Bearer("tok".into())).contains("tok"));
    }
}
