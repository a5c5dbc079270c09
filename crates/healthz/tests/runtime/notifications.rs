//! State-change notifications: one per change of what a check reports, after damping;
//! none per request or per unchanged run.

use healthz::{CheckOptions, CheckState, Transition};
use tokio::sync::broadcast::error::TryRecvError;

use crate::{Script, one, registry_of};

fn drain(
    receiver: &mut tokio::sync::broadcast::Receiver<Transition>,
) -> Vec<(CheckState, CheckState)> {
    let mut seen = Vec::new();
    loop {
        match receiver.try_recv() {
            Ok(transition) => seen.push((transition.from, transition.to)),
            Err(TryRecvError::Empty) => return seen,
            Err(error) => panic!("{error}"),
        }
    }
}

#[tokio::test(start_paused = true)]
async fn each_change_is_sent_once_and_damped_failures_are_not_changes() {
    let check = Script::new([
        Ok(()),
        Ok(()),
        Err("refused"),
        Err("refused"),
        Err("timed out"),
        Err("refused"),
        Ok(()),
    ]);
    let registry = registry_of(&check, CheckOptions::new().failure_threshold(2));
    let mut transitions = registry.subscribe();
    for _ in 0..7 {
        one(&registry).await;
    }
    assert_eq!(
        drain(&mut transitions),
        [
            (CheckState::Pending, CheckState::Working),
            (CheckState::Working, CheckState::Failing),
            (CheckState::Failing, CheckState::Working),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_transition_names_the_check_and_carries_the_reason() {
    let check = Script::new([Err("connection refused")]);
    let registry = registry_of(&check, CheckOptions::new().critical(false));
    let mut transitions = registry.subscribe();
    one(&registry).await;
    let transition = transitions.try_recv().unwrap();
    assert_eq!(transition.check, "Script");
    assert_eq!(transition.to, CheckState::Failing);
    assert_eq!(transition.outcome.text(), "unavailable: connection refused");
    assert!(!transition.critical);
}
