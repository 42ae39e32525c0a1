//! The case status as a state machine: the only way to a new status is a
//! legal transition.

use thiserror::Error;

use crate::macros::string_enum;

string_enum! {
    /// Where a case is in its life.
    pub enum CaseStatus ("case_status") {
        Submitted = "submitted",
        Processing = "processing",
        AwaitingDocuments = "awaiting_documents",
        ReadyForReview = "ready_for_review",
        InReview = "in_review",
        AwaitingSignature = "awaiting_signature",
        Decided = "decided",
        Withdrawn = "withdrawn",
    }
}

string_enum! {
    /// Something that happens to a case.
    pub enum CaseEvent ("case_event") {
        StartProcessing = "start_processing",
        RequestDocuments = "request_documents",
        DocumentsReceived = "documents_received",
        DraftReady = "draft_ready",
        /// An expert takes the case.
        Claim = "claim",
        /// The expert puts the case back in the queue.
        Release = "release",
        /// The expert approves the draft for the official.
        Approve = "approve",
        /// The official returns it for another review.
        SendBack = "send_back",
        /// The expert re-queues the case as complex.
        Escalate = "escalate",
        Sign = "sign",
        Withdraw = "withdraw",
        /// The deadline moves later (at most 4 months from filing); the status stays.
        ExtendDeadline = "extend_deadline",
    }
}

/// An event that the current status does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("cannot {} a case that is {}", .event.verb(), .from.adjective())]
pub struct IllegalTransition {
    pub from: CaseStatus,
    pub event: CaseEvent,
}

impl CaseStatus {
    /// The status after `event`, or why the event is not allowed now.
    pub fn apply(self, event: CaseEvent) -> Result<CaseStatus, IllegalTransition> {
        use CaseEvent as E;
        use CaseStatus as S;
        let next = match (self, event) {
            (S::Submitted, E::StartProcessing) => S::Processing,
            (S::Processing, E::RequestDocuments) => S::AwaitingDocuments,
            (S::Processing, E::DraftReady) => S::ReadyForReview,
            (S::AwaitingDocuments, E::DocumentsReceived) => S::Processing,
            (S::ReadyForReview, E::Claim) => S::InReview,
            (S::InReview, E::Release) => S::ReadyForReview,
            (S::InReview, E::RequestDocuments) => S::AwaitingDocuments,
            (S::InReview, E::Escalate) => S::ReadyForReview,
            (S::InReview, E::Approve) => S::AwaitingSignature,
            (S::AwaitingSignature, E::SendBack) => S::ReadyForReview,
            (S::AwaitingSignature, E::Sign) => S::Decided,
            (from, E::Withdraw) if !from.is_terminal() => S::Withdrawn,
            (from, E::ExtendDeadline) if !from.is_terminal() => from,
            (from, event) => return Err(IllegalTransition { from, event }),
        };
        Ok(next)
    }

    /// Decided and withdrawn cases never change status again.
    pub fn is_terminal(self) -> bool {
        matches!(self, CaseStatus::Decided | CaseStatus::Withdrawn)
    }

    /// Events allowed from this status, in declaration order.
    pub fn allowed_events(self) -> Vec<CaseEvent> {
        CaseEvent::ALL
            .iter()
            .copied()
            .filter(|e| self.apply(*e).is_ok())
            .collect()
    }

    /// Reads in "a case that is …".
    fn adjective(self) -> &'static str {
        match self {
            CaseStatus::Submitted => "submitted",
            CaseStatus::Processing => "being processed",
            CaseStatus::AwaitingDocuments => "awaiting documents",
            CaseStatus::ReadyForReview => "ready for review",
            CaseStatus::InReview => "in review",
            CaseStatus::AwaitingSignature => "awaiting signature",
            CaseStatus::Decided => "decided",
            CaseStatus::Withdrawn => "withdrawn",
        }
    }
}

impl CaseEvent {
    /// Reads in "cannot … a case".
    fn verb(self) -> &'static str {
        match self {
            CaseEvent::StartProcessing => "start processing",
            CaseEvent::RequestDocuments => "request documents for",
            CaseEvent::DocumentsReceived => "record documents received for",
            CaseEvent::DraftReady => "mark a draft ready for",
            CaseEvent::Claim => "claim",
            CaseEvent::Release => "release",
            CaseEvent::Approve => "approve",
            CaseEvent::SendBack => "send back",
            CaseEvent::Escalate => "escalate",
            CaseEvent::Sign => "sign",
            CaseEvent::Withdraw => "withdraw",
            CaseEvent::ExtendDeadline => "extend the deadline of",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use CaseEvent as E;
    use CaseStatus as S;

    /// The transition table from the specification, written out independently.
    const TABLE: &[(S, E, S)] = &[
        (S::Submitted, E::StartProcessing, S::Processing),
        (S::Processing, E::RequestDocuments, S::AwaitingDocuments),
        (S::Processing, E::DraftReady, S::ReadyForReview),
        (S::AwaitingDocuments, E::DocumentsReceived, S::Processing),
        (S::ReadyForReview, E::Claim, S::InReview),
        (S::InReview, E::Release, S::ReadyForReview),
        (S::InReview, E::RequestDocuments, S::AwaitingDocuments),
        (S::InReview, E::Escalate, S::ReadyForReview),
        (S::InReview, E::Approve, S::AwaitingSignature),
        (S::AwaitingSignature, E::SendBack, S::ReadyForReview),
        (S::AwaitingSignature, E::Sign, S::Decided),
        (S::Submitted, E::Withdraw, S::Withdrawn),
        (S::Processing, E::Withdraw, S::Withdrawn),
        (S::AwaitingDocuments, E::Withdraw, S::Withdrawn),
        (S::ReadyForReview, E::Withdraw, S::Withdrawn),
        (S::InReview, E::Withdraw, S::Withdrawn),
        (S::AwaitingSignature, E::Withdraw, S::Withdrawn),
        (S::Submitted, E::ExtendDeadline, S::Submitted),
        (S::Processing, E::ExtendDeadline, S::Processing),
        (
            S::AwaitingDocuments,
            E::ExtendDeadline,
            S::AwaitingDocuments,
        ),
        (S::ReadyForReview, E::ExtendDeadline, S::ReadyForReview),
        (S::InReview, E::ExtendDeadline, S::InReview),
        (
            S::AwaitingSignature,
            E::ExtendDeadline,
            S::AwaitingSignature,
        ),
    ];

    #[test]
    fn full_matrix_matches_the_table() {
        let mut legal = 0;
        for from in S::ALL {
            for event in E::ALL {
                let expected = TABLE
                    .iter()
                    .find(|(f, e, _)| f == from && e == event)
                    .map(|(_, _, to)| *to);
                match expected {
                    Some(to) => {
                        legal += 1;
                        assert_eq!(from.apply(*event), Ok(to), "{from} {event}");
                    }
                    None => assert_eq!(
                        from.apply(*event),
                        Err(IllegalTransition {
                            from: *from,
                            event: *event
                        }),
                        "{from} {event}"
                    ),
                }
            }
        }
        assert_eq!(legal, TABLE.len());
        assert_eq!(S::ALL.len() * E::ALL.len(), 96);
    }

    #[test]
    fn terminal_statuses_allow_nothing() {
        for s in S::ALL {
            assert_eq!(s.is_terminal(), s.allowed_events().is_empty(), "{s}");
        }
        assert!(S::Decided.is_terminal() && S::Withdrawn.is_terminal());
    }

    #[test]
    fn messages_read_well() {
        let e = S::Decided.apply(E::Sign).unwrap_err();
        assert_eq!(e.to_string(), "cannot sign a case that is decided");
        let e = S::Submitted.apply(E::RequestDocuments).unwrap_err();
        assert_eq!(
            e.to_string(),
            "cannot request documents for a case that is submitted"
        );
    }

    #[test]
    fn storage_names() {
        for s in S::ALL {
            assert_eq!(s.as_str().parse::<S>(), Ok(*s));
        }
        for e in E::ALL {
            assert_eq!(e.as_str().parse::<E>(), Ok(*e));
        }
        assert_eq!(S::AwaitingSignature.as_str(), "awaiting_signature");
        assert!("closed".parse::<S>().is_err());
    }
}
