//! The mount point, groups as sub-paths, and the `check` and `exclude` filters.

use http::StatusCode;

use crate::frameworks::Framework;
use crate::healthy;

/// The status and JSON body of `GET uri`.
async fn json<F: Framework>(uri: &str) -> (StatusCode, String) {
    let answer = F::mount(healthy())
        .get(uri, &[("accept", "application/json")])
        .await;
    (answer.status, answer.body)
}

contract! {
    async fn the_mount_point_with_and_without_slash_runs_everything<F>() {
        for uri in ["/ht", "/ht/"] {
            let (status, body) = json::<F>(uri).await;
            assert_eq!(status, StatusCode::OK, "{uri}");
            assert!(body.contains("Disk[data]"), "{uri}: {body}");
        }
    }

    async fn a_group_is_a_sub_path<F>() {
        for uri in ["/ht/ready/", "/ht/ready"] {
            let (status, body) = json::<F>(uri).await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(
                body, r#"{"CacheBackend":"working","DatabaseBackend":"working"}"#,
                "{uri}"
            );
        }
        assert_eq!(json::<F>("/ht/db/").await.1, r#"{"DatabaseBackend":"working"}"#);
    }

    async fn well_known_groups_answer_even_when_empty<F>() {
        assert_eq!(json::<F>("/ht/live/").await, (StatusCode::OK, "{}".to_owned()));
    }

    async fn an_unknown_group_is_404_with_a_reason<F>() {
        let app = F::mount(healthy());
        let answer = app.get("/ht/nope/", &[]).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND);
        assert_eq!(answer.body, "no check group named `nope`\n");
        assert!(answer.header("content-type").starts_with("text/plain"));
        assert_eq!(
            app.get("/ht/ready/extra/", &[]).await.status,
            StatusCode::NOT_FOUND
        );
    }

    async fn check_filters_are_repeatable<F>() {
        assert_eq!(
            json::<F>("/ht/?check=Disk%5Bdata%5D").await.1,
            r#"{"Disk[data]":"working"}"#
        );
        assert_eq!(
            json::<F>("/ht/?check=Disk[data]&check=CacheBackend").await.1,
            r#"{"CacheBackend":"working","Disk[data]":"working"}"#
        );
        assert_eq!(
            json::<F>("/ht/ready/?exclude=CacheBackend").await.1,
            r#"{"DatabaseBackend":"working"}"#
        );
        assert_eq!(
            json::<F>("/ht/?exclude=CacheBackend&exclude=Disk%5Bdata%5D")
                .await
                .1,
            r#"{"DatabaseBackend":"working"}"#
        );
    }

    async fn unknown_check_names_are_404<F>() {
        let app = F::mount(healthy());
        for (uri, reason) in [
            ("/ht/?check=Nope", "no check named `Nope`\n"),
            ("/ht/?exclude=Nope", "no check named `Nope`\n"),
            (
                "/ht/db/?check=CacheBackend",
                "check `CacheBackend` is not in group `db`\n",
            ),
        ] {
            let answer = app.get(uri, &[]).await;
            assert_eq!(answer.status, StatusCode::NOT_FOUND, "{uri}");
            assert_eq!(answer.body, reason);
        }
    }

    async fn unknown_query_parameters_are_ignored<F>() {
        assert_eq!(
            json::<F>("/ht/?_=1700000000&check=CacheBackend").await.0,
            StatusCode::OK
        );
    }
}
