//! The HTTP-based checks behind a real forward proxy on loopback (`proxy::ForwardProxy`):
//! `http` URLs forwarded in absolute form, `https` ones through a `CONNECT` tunnel,
//! the proxy's credentials sent and never shown, and a proxy that cannot be reached
//! named as the cause. (The environment's `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY`
//! are read by a function the library's unit tests call with given values, and by the
//! binary's tests through its real environment.)

use std::net::SocketAddr;

use axum::Router;
use axum::routing::get;
use healthz::checks::HttpEndpoint;

use crate::backend::{outcome, serve};
use crate::net;
use crate::proxy::ForwardProxy;

const USER: &str = "probe";
const PASSWORD: &str = "pr0xy-s3cr3t";

async fn site() -> SocketAddr {
    serve(Router::new().route("/ok", get(|| async { "all good" }))).await
}

fn endpoint(url: &str, proxy: &str) -> HttpEndpoint {
    HttpEndpoint::new(url).unwrap().proxy(proxy).unwrap()
}

#[tokio::test]
async fn an_http_url_is_forwarded_in_absolute_form() {
    let (site, proxy) = (site().await, ForwardProxy::open().await);
    let url = format!("http://{site}/ok");
    assert_eq!(
        outcome(endpoint(&url, &proxy.url(None)).body_contains("all good")).await,
        "working"
    );
    assert_eq!(proxy.request_lines(), [format!("GET {url} HTTP/1.1")]);
}

#[tokio::test]
async fn no_proxy_goes_straight_to_the_server() {
    let site = site().await;
    let check = HttpEndpoint::new(&format!("http://{site}/ok"))
        .unwrap()
        .proxy(&format!("http://{}", net::closed_port()))
        .unwrap()
        .no_proxy();
    assert_eq!(outcome(check).await, "working");
}

#[tokio::test]
async fn credentials_go_to_the_proxy_and_a_refusal_names_it() {
    let (site, proxy) = (site().await, ForwardProxy::requiring(USER, PASSWORD).await);
    let url = format!("http://{site}/ok");
    let with = proxy.url(Some((USER, PASSWORD)));
    assert_eq!(outcome(endpoint(&url, &with)).await, "working");
    let head = &proxy.heads()[0];
    assert!(
        head.to_ascii_lowercase()
            .contains("proxy-authorization: basic chjvymu6chiwehktcznjcjn0"),
        "{head}"
    );

    let wrong = proxy.url(Some((USER, "wrong-s3cr3t")));
    let check = endpoint(&url, &wrong);
    let debug = format!("{check:?}");
    let text = outcome(check).await;
    assert_eq!(
        text,
        format!(
            "unavailable: proxy {}: it refused the credentials (407 Proxy Authentication Required)",
            proxy.addr()
        )
    );
    for shown in [debug, text] {
        assert!(!shown.contains("wrong-s3cr3t"), "{shown}");
    }
    assert_eq!(
        outcome(endpoint(&url, &proxy.url(None))).await,
        format!(
            "unavailable: proxy {}: it asks for credentials (407 Proxy Authentication Required); put them in the proxy URL",
            proxy.addr()
        )
    );
}

#[tokio::test]
async fn a_proxy_that_cannot_be_reached_is_named() {
    let site = site().await;
    let closed = net::closed_port();
    let proxy = format!("http://{USER}:{PASSWORD}@{closed}");
    let text = outcome(endpoint(&format!("http://{site}/ok"), &proxy)).await;
    assert_eq!(
        text,
        format!("unavailable: proxy {closed}: connection refused")
    );
}

/// `https` URLs: a `CONNECT` tunnel through the proxy, then TLS with the server.
#[cfg(feature = "rustls")]
mod tunnel {
    use super::{PASSWORD, USER, endpoint, site};
    use crate::backend::outcome;
    use crate::net;
    use crate::proxy::ForwardProxy;
    use crate::tls::{self, Front};

    #[tokio::test]
    async fn an_https_url_goes_through_a_connect_tunnel() {
        let front = tls::front(site().await, Front::Valid).await;
        let proxy = ForwardProxy::open().await;
        let check = endpoint(&format!("https://{front}/ok"), &proxy.url(None));
        assert_eq!(outcome(check.tls(tls::trusting_the_ca())).await, "working");
        assert_eq!(proxy.request_lines(), [format!("CONNECT {front} HTTP/1.1")]);
        // The server's certificate is still verified through the tunnel.
        let check = endpoint(&format!("https://{front}/ok"), &proxy.url(None));
        assert_eq!(
            outcome(check).await,
            "unavailable: TLS: certificate not trusted (unknown issuer)"
        );
    }

    #[tokio::test]
    async fn the_tunnel_carries_the_credentials_and_a_refusal_names_the_proxy() {
        let front = tls::front(site().await, Front::Valid).await;
        let proxy = ForwardProxy::requiring(USER, PASSWORD).await;
        let url = format!("https://{front}/ok");
        let with = endpoint(&url, &proxy.url(Some((USER, PASSWORD))));
        assert_eq!(outcome(with.tls(tls::trusting_the_ca())).await, "working");
        let wrong = endpoint(&url, &proxy.url(Some((USER, "wrong-s3cr3t"))));
        let text = outcome(wrong.tls(tls::trusting_the_ca())).await;
        assert_eq!(
            text,
            format!(
                "unavailable: proxy {}: it refused the credentials (407 Proxy Authentication Required)",
                proxy.addr()
            )
        );
    }

    #[tokio::test]
    async fn a_proxy_that_cannot_be_reached_is_named() {
        let closed = net::closed_port();
        let check = endpoint("https://127.0.0.1:1/ok", &format!("http://{closed}"));
        assert_eq!(
            outcome(check).await,
            format!("unavailable: proxy {closed}: connection refused")
        );
    }

    #[tokio::test]
    async fn a_refused_tunnel_says_what_the_proxy_answered() {
        // The proxy cannot reach the destination, where nothing listens.
        let proxy = ForwardProxy::open().await;
        let closed = net::closed_port();
        let check = endpoint(&format!("https://{closed}/ok"), &proxy.url(None));
        assert_eq!(
            outcome(check).await,
            format!(
                "unavailable: proxy {}: it refused the tunnel to {closed} (502 Bad Gateway)",
                proxy.addr()
            )
        );
    }

    #[cfg(feature = "remote")]
    #[tokio::test]
    async fn remote_health_goes_through_the_proxy() {
        use healthz::checks::RemoteHealth;
        use healthz::{Endpoint, Registry};

        let registry = Registry::builder()
            .check(crate::support::Working)
            .build()
            .unwrap();
        let service = crate::backend::serve(
            axum::Router::new().merge(Endpoint::new(registry).router("/ht/")),
        )
        .await;
        let front = tls::front(service, Front::Valid).await;
        let proxy = ForwardProxy::open().await;
        let check = RemoteHealth::new(&format!("https://{front}/ht/"))
            .unwrap()
            .tls(tls::trusting_the_ca())
            .proxy(&proxy.url(None))
            .unwrap();
        assert_eq!(outcome(check).await, "working");
        assert_eq!(proxy.request_lines(), [format!("CONNECT {front} HTTP/1.1")]);
    }
}
