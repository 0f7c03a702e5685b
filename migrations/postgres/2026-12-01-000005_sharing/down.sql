DROP TABLE redeem_throttle;
DROP TABLE access_log;
DROP TABLE share_grants;
