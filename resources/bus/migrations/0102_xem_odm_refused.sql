-- The ODM link's end for an activity the ODM refuses for good ([not_found] task, [invalid_argument] e.g. a task no
-- longer in progress): 'refused', with the ODM's answer in odm_error, so it leaves the retry queue instead of
-- heading it forever. Transient failures stay 'pending' and are retried.
ALTER TABLE xem.invocations DROP CONSTRAINT invocations_odm_state_check;
ALTER TABLE xem.invocations ADD CONSTRAINT invocations_odm_state_check
    CHECK (odm_state IN ('none', 'pending', 'recorded', 'refused'));
